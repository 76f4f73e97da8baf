"""Reading invoices: the list with its filters, search, ordering and pages, in a bounded number of queries; one
invoice with its lines, orders, totals and version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from invoices.models import Invoice, SyncState
from tests.factories import ProviderAccountFactory, make_invoice

from .helpers import url


def numbers(response: object) -> list[str]:
    return [row["number"] for row in response.json()["results"]]  # type: ignore[attr-defined]


def test_the_list_is_paginated_newest_first(api: APIClient, account_a: object) -> None:
    created = [make_invoice(account=account_a).number for _ in range(3)]

    response = api.get(url("invoices"), {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert numbers(response) == [created[2], created[1]]
    assert body["next"].endswith("page=2&page_size=2")
    assert numbers(api.get(body["next"])) == [created[0]]


def test_the_list_costs_the_same_queries_for_5_or_50_invoices(api: APIClient, account_a: object) -> None:
    def make(count: int) -> None:
        for n in range(count):
            make_invoice(account=account_a, orders=[{"order_id": f"O-{n}-a"}, {"order_id": f"O-{n}-b"}])

    api.get(url("invoices"))  # the client's first request also stamps its last use
    make(5)
    with CaptureQueriesContext(connection) as five:
        assert len(api.get(url("invoices"), {"page_size": 100}).json()["results"]) == 5
    make(45)
    with CaptureQueriesContext(connection) as fifty:
        response = api.get(url("invoices"), {"page_size": 100})
    assert len(response.json()["results"]) == 50
    assert all(len(row["order_ids"]) == 2 for row in response.json()["results"])

    assert len(fifty) == len(five)
    assert len(fifty) <= 5, [q["sql"] for q in fifty.captured_queries]


def test_the_list_filters_by_status_account_kind_sync_state_currency_and_dates(
    api: APIClient, account_a: object, operator: object
) -> None:
    from invoices.api_clients import api_client_create

    other_kind = ProviderAccountFactory(kind="rapyd")
    client = api_client_create(name="wide", account_ids=[account_a.pk, other_kind.pk], role="viewer")  # type: ignore[attr-defined]
    wide = APIClient()
    wide.credentials(HTTP_AUTHORIZATION=f"Bearer {client.token}")
    draft = make_invoice(account=account_a, currency="EUR", issue_date=dt.date(2026, 1, 10), due_date=None)
    paid = make_invoice(
        account=account_a, status="paid", currency="USD", issue_date=dt.date(2026, 2, 10), due_date=None
    )
    rapyd = make_invoice(
        account=other_kind, status="open", currency="EUR", issue_date=dt.date(2026, 3, 10), due_date=dt.date(2026, 4, 1)
    )
    Invoice.objects.filter(pk=paid.pk).update(sync_state=SyncState.FAILED)

    def listed(**params: object) -> set[str]:
        response = wide.get(url("invoices"), params)
        assert response.status_code == 200, response.json()
        return set(numbers(response))

    assert listed(status="paid") == {paid.number}
    assert listed(status=["draft", "paid"]) == {draft.number, paid.number}
    assert listed(account=other_kind.pk) == {rapyd.number}
    assert listed(provider_kind="rapyd") == {rapyd.number}
    assert listed(sync_state="failed") == {paid.number}
    assert listed(currency="EUR") == {draft.number, rapyd.number}
    assert listed(issue_date_after="2026-02-01") == {paid.number, rapyd.number}
    assert listed(issue_date_after="2026-02-01", issue_date_before="2026-02-28") == {paid.number}
    assert listed(due_date_before="2026-12-31") == {rapyd.number}


def test_search_finds_numbers_customers_remote_ids_and_order_ids(api: APIClient, account_a: object) -> None:
    by_number = make_invoice(account=account_a, number="INV-SEARCH-1")
    by_customer = make_invoice(account=account_a, customer_name="Grace Hopper")
    by_remote = make_invoice(account=account_a, remote_id="rem-77-xyz")
    by_order = make_invoice(account=account_a, orders=[{"order_id": "ORD-9001"}, {"order_id": "ORD-9002"}])
    make_invoice(account=account_a)

    def found(term: str) -> list[str]:
        return numbers(api.get(url("invoices"), {"search": term}))

    assert found("search-1") == [by_number.number]
    assert found("hopper") == [by_customer.number]
    assert found("77-XYZ") == [by_remote.number]
    assert found("ORD-900") == [by_order.number]  # once, though both orders match


def test_the_list_orders_by_total_and_other_fields(api: APIClient, account_a: object) -> None:
    small = make_invoice(account=account_a, lines=[{"unit_price": Decimal("1")}])
    big = make_invoice(account=account_a, lines=[{"unit_price": Decimal("100")}])

    assert numbers(api.get(url("invoices"), {"ordering": "total"})) == [small.number, big.number]
    assert numbers(api.get(url("invoices"), {"ordering": "-total"})) == [big.number, small.number]


def test_an_invalid_filter_value_is_a_400_in_the_envelope(api: APIClient) -> None:
    response = api.get(url("invoices"), {"status": "lost", "issue_date_after": "yesterday", "account": "1e30"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {"status", "issue_date", "account"} <= set(error["fields"])


def test_one_invoice_comes_with_lines_orders_totals_and_its_version_as_etag(api: APIClient, account_a: object) -> None:
    invoice = make_invoice(
        account=account_a,
        currency="EUR",
        lines=[
            {"sku": "A", "quantity": Decimal("3"), "unit_price": Decimal("19.99"), "tax_rate": Decimal("20")},
            {"sku": "B", "quantity": Decimal("0.5"), "unit_price": Decimal("0.05"), "tax_rate": Decimal("7")},
        ],
        orders=[{"order_id": "ORD-1", "amount": Decimal("70.99")}],
        discount=Decimal("1"),
    )

    response = api.get(url("invoices", invoice.pk))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["subtotal"], body["discount"], body["tax"], body["total"]) == ("60.00", "1.00", "11.99", "70.99")
    assert [(line["sku"], line["amount"], line["tax"]) for line in body["lines"]] == [
        ("A", "59.97", "11.99"),
        ("B", "0.03", "0.00"),
    ]
    assert body["orders"][0]["order_id"] == "ORD-1"
    assert body["orders"][0]["amount"] == "70.9900"
    assert (body["status"], body["sync_state"], body["version"]) == ("draft", "local", 1)
    assert body["allowed_transitions"] == ["open", "void"]
    assert body["links"]["self"] == f"http://testserver/api/v1/invoices/{invoice.pk}/"
    assert body["links"]["transitions"].endswith(f"/api/v1/invoices/{invoice.pk}/transitions/")
