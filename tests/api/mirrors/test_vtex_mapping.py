"""The VTEX mirror's requests in VTEX's terms and in ours (pure: no HTTP, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from providers.vtex import mirror as vtex
from providers.vtex import openapi
from providers.vtex.mirror import RequestRefused
from tests.providers.vtex.helpers import seed_fixture


def documented_notification() -> dict[str, Any]:
    return vtex.documented_example(vtex.INVOICE, "post")


def test_the_documented_examples_are_the_seed_documents():
    assert seed_fixture("invoice_notification") == vtex.SEED_INVOICE_NOTIFICATION
    assert seed_fixture("send_tracking_number") == vtex.SEED_TRACKING_UPDATE
    openapi.validate_request(vtex.INVOICE, "post", vtex.RETURN_EXAMPLE)
    openapi.validate_response(vtex.INVOICE, "post", 200, vtex.DOCUMENTED_RECEIPT)


def test_the_seed_notification_becomes_a_sale_of_one_line_in_major_units():
    notification = vtex.parse_notification(vtex.SEED_INVOICE_NOTIFICATION)

    intent = vtex.invoice_intent(notification, currency="BRL")

    assert intent.invoice_type == "sale"
    assert intent.remote_number == "9999"
    assert intent.issue_date == dt.date(2019, 1, 31)
    assert intent.lines == [
        {"sku": "1234", "description": "335", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}
    ]
    assert intent.discount == Decimal("0.00")
    # kept as sent, so VTEX receives the very same text; the nulls are simply absent
    assert intent.provider_fields == {"issuanceDate": "2019-01-31T18:25:43-05:00", "invoiceUrl": "link"}
    assert intent.tracking == {}


def test_an_invoice_value_below_the_items_is_their_discount():
    # VTEX's own example invoices 2499 cents of two items at 2499
    intent = vtex.invoice_intent(vtex.parse_notification(documented_notification()), currency="BRL")

    assert intent.discount == Decimal("24.99")
    assert intent.lines[0]["quantity"] == Decimal("2")
    assert intent.lines[0]["unit_price"] == Decimal("24.99")
    assert intent.provider_fields["invoiceKey"] == "CFe35201100063960001504590006629690333214542150"
    assert intent.provider_fields["embeddedInvoice"].startswith("<NFe>")


def test_tracking_sent_with_the_notification_becomes_our_tracking_fields():
    intent = vtex.invoice_intent(vtex.parse_notification(documented_notification()), currency="BRL")

    assert intent.tracking == {
        "tracking_number": "87658",
        "tracking_url": "https://www.tracking.com/url",
        "courier": "carrierOne",
        "dispatched_at": dt.datetime(2019, 2, 8, 13, 16, 13, 461765, tzinfo=dt.UTC),
    }


def test_cents_follow_the_currencys_minor_unit():
    intent = vtex.invoice_intent(vtex.parse_notification(vtex.SEED_INVOICE_NOTIFICATION), currency="JPY")

    assert intent.lines[0]["unit_price"] == Decimal("10000")


def test_items_beyond_what_our_amounts_hold_are_refused():
    body = {**vtex.SEED_INVOICE_NOTIFICATION, "items": [{"id": "1234", "price": 10**15, "quantity": 1}]}

    with pytest.raises(RequestRefused, match="items add up to 1000000000000000 JPY: more than the back-office"):
        vtex.invoice_intent(vtex.parse_notification(body), currency="JPY")
    assert vtex.invoice_intent(vtex.parse_notification(body), currency="BRL").lines[0]["unit_price"] == Decimal(
        "10000000000000.00"
    )


def test_a_return_is_an_input_invoice_whatever_its_case():
    body = {**vtex.RETURN_EXAMPLE, "type": "input"}

    assert vtex.invoice_intent(vtex.parse_notification(body), currency="BRL").invoice_type == "return"


def test_a_date_and_time_without_offset_is_read_in_the_accounts_time_zone():
    body = {**vtex.SEED_INVOICE_NOTIFICATION, "issuanceDate": "2019-01-31T23:30:00", "dispatchedDate": None}
    body["trackingNumber"], body["dispatchedDate"] = "T-1", "2019-02-01T08:00:00"

    intent = vtex.invoice_intent(vtex.parse_notification(body), currency="BRL", timezone="America/Sao_Paulo")

    assert intent.provider_fields["issuanceDate"] == "2019-01-31T23:30:00-02:00"
    assert intent.issue_date == dt.date(2019, 1, 31)
    assert intent.tracking["dispatched_at"] == dt.datetime(2019, 2, 1, 10, 0, tzinfo=dt.UTC)


def test_the_idempotency_key_is_the_order_and_the_invoice_number():
    assert vtex.notification_key("1-01", vtex.SEED_INVOICE_NOTIFICATION) == "invoice:1-01:9999"
    assert vtex.notification_key("1-01", {"invoiceNumber": "  "}) is None
    assert vtex.notification_key("1-01", ["not", "an", "object"]) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"invoiceValue": None}, "Required field(s) missing: invoiceValue."),
        ({"type": "", "items": None}, "Required field(s) missing: type, items."),
        ({"type": "Sale"}, "type must be Output or Input."),
        ({"invoiceValue": 10000}, "invoiceValue must be a string of cents greater than 0, without separators."),
        ({"invoiceValue": "100.00"}, "invoiceValue must be a string of cents greater than 0, without separators."),
        ({"invoiceValue": "0"}, "invoiceValue must be a string of cents greater than 0, without separators."),
        ({"invoiceNumber": 9999}, "invoiceNumber must be a non-empty string."),
        ({"invoiceNumber": "9" * 101}, "invoiceNumber must be at most 100 characters."),
        ({"issuanceDate": "2019-01-31"}, "issuanceDate must carry a time as well as a date."),
        ({"issuanceDate": "31/01/2019 18:25"}, "issuanceDate must be an ISO 8601 date and time."),
        ({"courier": 7}, "courier must be a string."),
        ({"trackingUrl": "tracking"}, "trackingUrl must be an absolute URL (http or https)."),
        ({"dispatchedDate": "yesterday"}, "dispatchedDate must be an ISO 8601 date and time."),
        ({"items": {"id": "1234"}}, "items must be an array."),
        ({"items": []}, "items must list the SKUs being invoiced: the back-office records an invoice by them."),
        ({"items": ["1234"]}, "items[0] must be an object."),
        ({"items": [{"id": 1234, "price": 10000, "quantity": 1}]}, "items[0].id must be the SKU id as a string."),
        (
            {"items": [{"id": "1234", "price": "100.00", "quantity": 1}]},
            "items[0].price must be an integer of at least 0.",
        ),
        (
            {"items": [{"id": "1234", "price": 100.5, "quantity": 1}]},
            "items[0].price must be an integer of at least 0.",
        ),
        (
            {"items": [{"id": "1234", "price": 10000, "quantity": 0}]},
            "items[0].quantity must be an integer of at least 1.",
        ),
        (
            {"items": [{"id": "1234", "price": 10000, "quantity": True}]},
            "items[0].quantity must be an integer of at least 1.",
        ),
        (
            {"items": [{"id": "1234", "price": 10000, "quantity": 1, "description": 335}]},
            "items[0].description must be a string.",
        ),
        (
            {"invoiceValue": "10001"},
            "invoiceValue (10001) is more than the items add up to (10000): the back-office records an invoice by "
            "its items, so send any other charge as an item.",
        ),
    ],
)
def test_a_notification_vtex_would_refuse_is_refused_naming_the_field(change, message):
    with pytest.raises(RequestRefused) as refused:
        vtex.parse_notification({**vtex.SEED_INVOICE_NOTIFICATION, **change})

    assert (refused.value.status, refused.value.message) == (400, message)


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(RequestRefused, match="must be a JSON object"):
        vtex.parse_notification([vtex.SEED_INVOICE_NOTIFICATION])


def test_the_tracking_update_needs_its_four_fields_and_a_tracking_number():
    with pytest.raises(RequestRefused, match=r"Required field\(s\) missing: courier, dispatchedDate\."):
        vtex.parse_tracking({"trackingNumber": "1", "trackingUrl": None})
    with pytest.raises(RequestRefused, match="trackingNumber is required"):
        vtex.parse_tracking({**vtex.SEED_TRACKING_UPDATE, "trackingNumber": None})

    tracking = vtex.parse_tracking(
        {"trackingNumber": "1", "trackingUrl": None, "courier": None, "dispatchedDate": None}
    )

    assert tracking.fields() == {"tracking_number": "1", "tracking_url": "", "courier": "", "dispatched_at": None}


def test_vtexs_envelopes():
    assert vtex.error_body("Order x not found.") == {
        "error": {"code": "1", "message": "Order x not found.", "exception": None}
    }
    assert vtex.error_body("Too large.", "PAYLOAD_TOO_LARGE")["error"]["code"] == "1"
    assert vtex.receipt_body({"date": "d", "order_id": "o", "receipt": "r", "type": "Output"}, "x") == {
        "date": "d",
        "orderId": "o",
        "receipt": "r",
    }
    assert vtex.receipt_body({"message": "nothing sent"}, "x") is None
    accepted = vtex.accepted_body(date="d", order_id="o", receipt="k", delivery_id=7)
    openapi.validate_response(vtex.INVOICE, "post", 200, accepted)
    assert accepted["deliveryId"] == 7
