"""Whatever a client sends, the answer is a clear 4xx in one envelope, never a 5xx: malformed JSON, wrong types,
odd unicode, negative or overflowing amounts, unknown currencies, bodies too large or not JSON, paths that do
not exist."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from invoices.models import Invoice
from tests.factories import make_invoice

from .helpers import error_of, generic_invoice, url


def create(api: APIClient, account_id: int, **fields: Any) -> Any:
    payload = {
        "account": account_id,
        "number": "INV-ERR-1",
        "customer_name": "Ada",
        "currency": "EUR",
        "issue_date": "2026-11-01",
        "lines": [{"unit_price": "10"}],
        **fields,
    }
    return api.post(url("invoices"), payload, format="json")


def raw(
    api: APIClient, path: str, body: bytes | str, content_type: str = "application/json", method: str = "post"
) -> Any:
    return getattr(api, method)(path, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        b'{"to_status": "open"',  # cut short
        b"{'to_status': 'open'}",  # not JSON quotes
        b'{"to_status": "open",}',  # trailing comma
        b"\xff\xfe{}",  # not UTF-8
        b'{"to_status": NaN}',
        b'{"reason": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser recursion
        b'{"n": ' + b"9" * 5000 + b"}",  # an integer too long to convert
    ],
)
def test_malformed_json_is_a_400(api: APIClient, account_a: Any, body: bytes) -> None:
    invoice = make_invoice(account=account_a)

    response = raw(api, url("invoices", invoice.pk, "transitions"), body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error"
    assert error["message"].startswith("Malformed JSON")


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"issue_date": 20261101}, "issue_date"),
        ({"lines": "one widget"}, "lines"),
        ({"lines": [{"unit_price": {"amount": 1}}]}, "lines.0.unit_price"),
        ({"lines": [{"unit_price": True}]}, "lines.0.unit_price"),
        ({"discount": [1]}, "discount"),
        ({"account": "first"}, "account"),
        ({"account": 10**30}, "account"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"dispatched_at": "9999-12-31T23:59:59-14:00"}, "dispatched_at"),
        ({"lines": [{"unit_price": "10", "colour": "red"}]}, "lines.0.colour"),
    ],
)
def test_wrong_types_are_a_400_naming_the_field(
    api: APIClient, account_a: Any, fields: dict[str, Any], invalid: str
) -> None:
    response = create(api, account_a.pk, **fields)

    assert response.status_code == 400, response.content
    assert invalid in error_of(response)["fields"]


def test_a_body_that_is_not_an_object_is_a_400(api: APIClient, account_a: Any) -> None:
    for body in ("[]", '"text"', "42", "null"):
        response = raw(api, url("invoices"), body)
        assert response.status_code == 400, body
        assert error_of(response)["code"] == "validation_error"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"unit_price": "-0.01"}, "lines.0.unit_price"),
        ({"unit_price": "10", "quantity": "-1"}, "lines.0.quantity"),
        ({"unit_price": "10", "quantity": "0"}, "lines.0.quantity"),
        ({"unit_price": "10", "tax_rate": "-5"}, "lines.0.tax_rate"),
        ({"unit_price": "10", "tax_rate": "100.5"}, "lines.0.tax_rate"),
        ({"unit_price": "1e30"}, "lines.0.unit_price"),
        ({"unit_price": 1e30}, "lines.0.unit_price"),
        ({"unit_price": "99999999999999999999"}, "lines.0.unit_price"),
        ({"unit_price": "0.00001"}, "lines.0.unit_price"),
        ({"unit_price": "NaN"}, "lines.0.unit_price"),
        ({"unit_price": "-Infinity"}, "lines.0.unit_price"),
        ({"unit_price": "1e999999999"}, "lines.0.unit_price"),
    ],
)
def test_negative_and_overflowing_amounts_are_a_400(
    api: APIClient, account_a: Any, line: dict[str, Any], field: str
) -> None:
    response = create(api, account_a.pk, lines=[line])

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not Invoice.objects.exists()


def test_a_negative_or_overflowing_discount_is_a_400(api: APIClient, account_a: Any) -> None:
    assert "discount" in error_of(create(api, account_a.pk, discount="-1"))["fields"]
    assert "discount" in error_of(create(api, account_a.pk, discount=1e30))["fields"]
    # larger than the lines: the service's own rule, mapped to its field
    response = create(api, account_a.pk, discount="11")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"discount": ["The discount cannot exceed the subtotal of the lines."]}


def test_an_unknown_currency_is_a_400_that_says_what_to_use(api: APIClient, account_a: Any) -> None:
    for currency in ("XYZ", "eur", "", "€", 978):
        response = create(api, account_a.pk, currency=currency)
        assert response.status_code == 400, currency
        assert "currency" in error_of(response)["fields"]
    assert "ISO 4217" in error_of(create(api, account_a.pk, currency="XYZ"))["fields"]["currency"][0]


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"customer_name": "Ada\u0000Lovelace"}, "customer_name"),
        ({"customer_name": "\ud800"}, "customer_name"),  # a lone surrogate
        ({"lines": [{"unit_price": "1", "description": "\udfff tail"}]}, "lines.0.description"),
        ({"metadata": {"note": "nul\u0000"}}, "metadata"),
        ({"metadata": {"\ud83d": "key with a lone surrogate"}}, "metadata"),
        ({"customer_name": "x" * 201}, "customer_name"),
    ],
)
def test_odd_unicode_that_cannot_be_stored_is_a_400(
    api: APIClient, account_a: Any, fields: dict[str, Any], invalid: str
) -> None:
    # json.dumps writes lone surrogates as \ud800 escapes, which is valid JSON
    response = raw(api, url("invoices"), json.dumps({**payload(account_a.pk), **fields}))

    assert response.status_code == 400, response.content
    assert invalid in error_of(response)["fields"]


def payload(account_id: int) -> dict[str, Any]:
    return {
        "account": account_id,
        "number": "INV-ERR-1",
        "customer_name": "Ada",
        "currency": "EUR",
        "issue_date": "2026-11-01",
        "lines": [{"unit_price": "10"}],
    }


def test_unusual_but_valid_unicode_is_kept_as_sent(api: APIClient, account_a: Any) -> None:
    name = "Zoë 🧾 ﷽ مرحبا e\u0301 \u202eabc"
    response = create(api, account_a.pk, customer_name=name, metadata={"emoji": "🧾", "rtl": "\u202e"})

    assert response.status_code == 201, response.content
    assert response.json()["customer_name"] == name
    assert Invoice.objects.get().customer_name == name


def test_a_body_too_large_is_a_413(api: APIClient, account_a: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = create(api, account_a.pk, description="x" * 2000)

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_a_body_that_is_not_json_is_a_415(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = raw(api, url("invoices", invoice.pk, "transitions"), "to_status=open", content_type=content_type)
        assert response.status_code == 415, content_type
        assert error_of(response)["code"] == "unsupported_media_type"


def test_a_path_that_does_not_exist_is_a_404_in_the_envelope(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    for path in (
        "/api/v1/",
        "/api/v1/nothing/",
        "/api/v1/invoices/abc/",
        "/api/v1/invoices/-1/",
        f"/api/v1/invoices/{'9' * 30}/",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert api.get(url("invoices", 10**17)).status_code == 404

    response = api.post(f"/api/v1/invoices/{invoice.pk}/transitions", {"to_status": "open"}, format="json")
    assert response.status_code == 404
    assert "trailing slash" in error_of(response)["message"]


def test_a_push_the_provider_cannot_take_is_a_409(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)  # the generic API names customers by uuid; this one has none

    response = api.post(url("invoices", invoice.pk, "push"))

    assert response.status_code == 409
    assert error_of(response)["code"] == "push_refused"


def test_a_service_refusal_is_a_409_not_a_500(api: APIClient, account_a: Any) -> None:
    from invoices.models import Delivery

    invoice = generic_invoice(account_a)
    assert api.post(url("invoices", invoice.pk, "push")).status_code == 202
    delivery = Delivery.objects.filter(invoice=invoice).first()
    assert delivery is not None

    response = api.post(url("deliveries", delivery.pk, "retry"))  # still pending: nothing to retry

    assert response.status_code == 409
    assert error_of(response)["code"] == "delivery_refused"


def test_an_unacceptable_accept_header_is_a_406_in_json(api: APIClient) -> None:
    response = api.get(url("invoices"), HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert error_of(response)["code"] == "not_acceptable"


def test_options_points_at_the_schema(api: APIClient) -> None:
    response = api.options(url("invoices"))

    assert response.status_code == 200
    assert response.json()["schema"] == "http://testserver/api/schema/"
    assert "actions" not in response.json()


def test_views_outside_v1_keep_drf_s_own_error_handling() -> None:
    from django.core.exceptions import ValidationError
    from rest_framework.exceptions import NotFound

    from backoffice.api_errors import exception_handler

    outside = {"view": object()}  # a mirror answers in its provider's envelope, the schema views in DRF's

    assert exception_handler(NotFound(), outside).data == {"detail": "Not found."}  # type: ignore[union-attr]
    assert exception_handler(ValidationError("no"), outside) is None
