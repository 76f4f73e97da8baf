"""Creating and editing invoices through the services: totals by the Decimal rules, editable fields only, the
status never, and no update lost to a concurrent one (ETag / If-Match, or the version)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from invoices.api.v1.parsers import StrictJSONParser
from invoices.models import ActorType, Door, Invoice, StatusChange
from tests.factories import make_invoice

from .helpers import error_of, url


def new_invoice(account_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "account": account_id,
        "number": "INV-API-1",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "currency": "EUR",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        **fields,
    }


def test_creating_an_invoice_computes_its_totals_line_by_line_with_half_up_rounding(
    api: APIClient, account_a: Any, operator: Any
) -> None:
    payload = new_invoice(
        account_a.pk,
        discount="1",
        lines=[
            {"sku": "A", "quantity": "3", "unit_price": "19.99", "tax_rate": "20"},  # 59.97, tax 11.994 → 11.99
            {"sku": "B", "quantity": "0.5", "unit_price": "0.05", "tax_rate": "7"},  # 0.025 → 0.03, tax 0.0021 → 0
        ],
        orders=[{"order_id": "ORD-1", "payment_status": "Pending"}],
    )

    response = api.post(url("invoices"), payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["discount"], body["tax"], body["total"]) == ("60.00", "1.00", "11.99", "70.99")
    assert [line["amount"] for line in body["lines"]] == ["59.97", "0.03"]
    assert body["order_ids"] == ["ORD-1"]
    assert (body["status"], body["version"]) == ("draft", 1)
    assert response["ETag"] == '"1"'
    assert response["Location"] == body["links"]["self"]
    invoice = Invoice.objects.get(number="INV-API-1")
    created = StatusChange.objects.get(invoice=invoice)
    assert (created.from_status, created.to_status, created.door) == ("", "draft", Door.API)
    assert (created.actor_type, created.actor_client_id, created.actor_label) == (
        ActorType.API_CLIENT,
        operator.client.pk,
        "api:erp-operator",
    )


def test_amounts_round_to_the_currency_minor_unit(api: APIClient, account_a: Any) -> None:
    payload = new_invoice(account_a.pk, currency="JPY", lines=[{"unit_price": "99.5"}])

    body = api.post(url("invoices"), payload, format="json").json()

    assert (body["subtotal"], body["total"], body["lines"][0]["amount"]) == ("100", "100", "100")


def test_amounts_sent_as_json_numbers_are_read_as_decimals(api: APIClient, account_a: Any) -> None:
    payload = json.dumps(new_invoice(account_a.pk, lines=[]))[:-1] + (
        ', "discount": 0.3, "lines": [{"unit_price": 0.1}, {"unit_price": 0.2}, {"unit_price": 0.3}]}'
    )

    response = api.post(url("invoices"), payload, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert (response.json()["subtotal"], response.json()["total"]) == ("0.60", "0.30")


def test_the_parser_keeps_every_digit_of_a_json_number() -> None:
    # What a float would round (SQLite would too when storing it; PostgreSQL keeps it).
    parsed = StrictJSONParser().parse(io.BytesIO(b'{"unit_price": 12345678901234.5678}'))

    assert parsed == {"unit_price": Decimal("12345678901234.5678")}


def test_an_invoice_number_is_unique(api: APIClient, account_a: Any) -> None:
    make_invoice(account=account_a, number="INV-API-1")

    response = api.post(url("invoices"), new_invoice(account_a.pk), format="json")

    assert response.status_code == 400
    assert "number" in error_of(response)["fields"]


def test_a_due_date_before_the_issue_date_is_refused_by_the_model_rules(api: APIClient, account_a: Any) -> None:
    response = api.post(url("invoices"), new_invoice(account_a.pk, due_date="2026-10-01"), format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"due_date": ["The due date cannot be before the issue date."]}
    assert not Invoice.objects.exists()


def test_editing_changes_the_editable_fields_and_bumps_the_version(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.patch(
        url("invoices", invoice.pk),
        {"customer_name": "Grace Hopper", "due_date": "2026-12-24", "metadata": {"po": "PO-7", "rate": 1.5}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["customer_name"], body["due_date"], body["metadata"]) == (
        "Grace Hopper",
        "2026-12-24",
        {"po": "PO-7", "rate": 1.5},
    )
    assert (body["version"], response["ETag"]) == (2, '"2"')
    invoice.refresh_from_db()
    assert invoice.customer_name == "Grace Hopper"


def test_editing_the_lines_replaces_them_and_recomputes_the_totals(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.patch(
        url("invoices", invoice.pk), {"lines": [{"quantity": "4", "unit_price": "2.50"}]}, format="json"
    )

    assert response.status_code == 200
    assert [(line["position"], line["amount"]) for line in response.json()["lines"]] == [(1, "10.00")]
    assert response.json()["total"] == "10.00"


def test_the_status_cannot_be_patched(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.patch(url("invoices", invoice.pk), {"status": "paid", "customer_name": "X"}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "transitions" in error["fields"]["status"][0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.customer_name, invoice.version) == ("draft", "Ada Lovelace", 1)


def test_read_only_and_unknown_fields_are_refused_rather_than_ignored(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.patch(url("invoices", invoice.pk), {"total": "1.00", "number": "X", "colour": "red"}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"total", "number", "colour"}


def test_there_is_no_full_update_nor_delete(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    for method in (api.put, api.delete):
        response = method(url("invoices", invoice.pk), {}, format="json")
        assert response.status_code == 405
        assert error_of(response)["code"] == "method_not_allowed"
        assert "PATCH" in response["Allow"]
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)
    etag = api.get(url("invoices", invoice.pk))["ETag"]
    # given someone else edits the invoice after we read it
    assert (
        api.patch(
            url("invoices", invoice.pk), {"customer_name": "First"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )

    # when we send our edit with the ETag we read
    response = api.patch(url("invoices", invoice.pk), {"customer_name": "Second"}, format="json", HTTP_IF_MATCH=etag)

    # then it is refused and the first edit stands
    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"
    assert response["ETag"] == '"2"'
    invoice.refresh_from_db()
    assert (invoice.customer_name, invoice.version) == ("First", 2)


def test_a_stale_version_in_the_body_is_refused_with_409_and_changes_nothing(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)
    assert (
        api.patch(url("invoices", invoice.pk), {"customer_name": "First", "version": 1}, format="json").status_code
        == 200
    )

    response = api.patch(url("invoices", invoice.pk), {"customer_name": "Second", "version": 1}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "stale_version"
    assert "version 2, you had 1" in error["message"]
    invoice.refresh_from_db()
    assert (invoice.customer_name, invoice.version) == ("First", 2)


def test_a_malformed_if_match_cannot_match_and_is_refused_with_412(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.patch(url("invoices", invoice.pk), {"customer_name": "X"}, format="json", HTTP_IF_MATCH="banana")

    assert response.status_code == 412
    invoice.refresh_from_db()
    assert invoice.customer_name == "Ada Lovelace"


def test_if_match_star_and_a_weak_etag_are_understood(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    assert (
        api.patch(url("invoices", invoice.pk), {"courier": "DHL"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    )
    assert (
        api.patch(url("invoices", invoice.pk), {"courier": "UPS"}, format="json", HTTP_IF_MATCH='W/"2"').status_code
        == 200
    )
