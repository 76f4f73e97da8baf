"""Our invoice in VTEX's terms, and VTEX's answers in ours: pure mapping, no network, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from providers.base import LineData, OrderData
from providers.vtex import openapi
from providers.vtex.payloads import (
    PayloadError,
    error_of,
    invoice_body,
    package_fields,
    problems,
    read_order,
    read_receipt,
    tracking_body,
)

from .helpers import ORDER_ID, plain_invoice

INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
INVOICE_NUMBER = f"{INVOICE}/{{invoiceNumber}}"


def line(quantity: str = "2", unit_price: str = "10.00", sku: str = "SKU-1", description: str = "Widget") -> LineData:
    q, p = Decimal(quantity), Decimal(unit_price)
    return LineData(sku, description, q, p, Decimal("0"), q * p, Decimal("0"))


def test_money_crosses_in_cents_value_as_a_string_and_prices_as_integers():
    body = invoice_body(plain_invoice())

    assert body == {
        "type": "Output",
        "issuanceDate": "2026-11-01T00:00:00+00:00",
        "invoiceNumber": "INV-1",
        "invoiceValue": "2000",
        "items": [{"id": "SKU-1", "price": 1000, "description": "Widget", "quantity": 2}],
    }
    openapi.validate_request(INVOICE, "post", body)


def test_the_invoice_value_is_the_total_after_discount_and_tax():
    invoice = plain_invoice(
        subtotal=Decimal("20.00"), discount=Decimal("2.50"), tax=Decimal("3.78"), total=Decimal("21.28")
    )

    assert invoice_body(invoice)["invoiceValue"] == "2128"


def test_unit_prices_are_rounded_half_up_to_the_cent():
    invoice = plain_invoice(lines=(line("1", "10.005"),), total=Decimal("10.01"))

    assert invoice_body(invoice)["items"][0]["price"] == 1001


def test_minor_units_follow_the_currency():
    invoice = plain_invoice(currency="JPY", lines=(line("3", "1500"),), total=Decimal("4500"))

    body = invoice_body(invoice)

    assert (body["invoiceValue"], body["items"][0]["price"]) == ("4500", 1500)


def test_a_return_is_an_input_invoice_and_a_sale_an_output():
    assert invoice_body(plain_invoice(invoice_type="return"))["type"] == "Input"
    assert invoice_body(plain_invoice(invoice_type="sale"))["type"] == "Output"


def test_the_invoice_number_is_the_remote_number_when_there_is_one():
    assert invoice_body(plain_invoice(remote_number="000030711"))["invoiceNumber"] == "000030711"


def test_the_issuance_date_is_midnight_of_the_issue_date_in_the_accounts_time_zone():
    assert invoice_body(plain_invoice(), timezone="America/Sao_Paulo")["issuanceDate"] == "2026-11-01T00:00:00-03:00"


def test_an_exact_issuance_instant_is_sent_as_given_if_it_falls_on_the_issue_date():
    exact = plain_invoice(provider_fields={"issuanceDate": "2026-11-01T18:25:43-05:00"})
    elsewhere = plain_invoice(provider_fields={"issuanceDate": "2026-11-02T18:25:43-05:00"})
    naive = plain_invoice(provider_fields={"issuanceDate": "2026-11-01T18:25:43"})

    assert invoice_body(exact)["issuanceDate"] == "2026-11-01T18:25:43-05:00"
    with pytest.raises(PayloadError, match="is not on the issue date 2026-11-01"):
        invoice_body(elsewhere)
    with pytest.raises(PayloadError, match="needs a UTC offset"):
        invoice_body(naive)


def test_invoice_key_url_and_embedded_invoice_pass_through_from_provider_fields():
    fields = {"invoiceKey": "CFe352011", "invoiceUrl": "https://x.example/1.pdf", "embeddedInvoice": "<NFe/>"}

    body = invoice_body(plain_invoice(provider_fields={**fields, "unrelated": 1}))

    assert {k: body[k] for k in fields} == fields
    assert "unrelated" not in body
    openapi.validate_request(INVOICE, "post", body)


def test_fields_we_have_no_value_for_are_left_out_rather_than_null():
    body = invoice_body(plain_invoice(lines=(line(description=""),)))

    assert None not in body.values()
    assert "courier" not in body
    assert "description" not in body["items"][0]


@pytest.mark.parametrize(
    ("invoice", "problem"),
    [
        (plain_invoice(orders=()), "VTEX: an invoice needs the id of the order it invoices"),
        (
            plain_invoice(orders=(OrderData(order_id=" "),)),
            "VTEX: an invoice needs the id of the order it invoices",
        ),
        (
            plain_invoice(total=Decimal("0")),
            "VTEX: invoiceValue must be greater than 0 (the invoice total is 0)",
        ),
        (
            plain_invoice(total=Decimal("0.004")),
            "VTEX: invoiceValue must be greater than 0 (the invoice total is 0.004)",
        ),
        (
            plain_invoice(lines=(line("1.5"),)),
            "VTEX: line 1 has a fractional quantity (1.5); VTEX invoices whole units",
        ),
        (plain_invoice(lines=(line(sku=" "),)), "VTEX: line 1 has no SKU id; VTEX invoices items by SKU"),
        (plain_invoice(invoice_type="gift"), "VTEX: no invoice type for 'gift' (sale or return)"),
    ],
)
def test_what_vtex_would_refuse_is_found_before_sending(invoice, problem):
    assert problem in problems(invoice)
    with pytest.raises(PayloadError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        invoice_body(invoice)


def test_a_sendable_invoice_has_no_problems():
    assert problems(plain_invoice()) == []


def test_a_tracking_update_carries_the_four_fields_vtex_requires():
    invoice = plain_invoice(
        tracking_number="87658",
        tracking_url="https://www.tracking.com/url",
        courier="carrierOne",
        dispatched_at=dt.datetime(2022, 2, 8, 13, 16, 13, tzinfo=dt.UTC),
    )

    body = tracking_body(invoice)

    assert body == {
        "trackingNumber": "87658",
        "trackingUrl": "https://www.tracking.com/url",
        "courier": "carrierOne",
        "dispatchedDate": "2022-02-08T13:16:13+00:00",
    }
    openapi.validate_request(INVOICE_NUMBER, "patch", body)


def test_a_tracking_update_sends_null_for_what_is_unknown_and_needs_a_number():
    body = tracking_body(plain_invoice(tracking_number="87658"))

    assert body == {"trackingNumber": "87658", "trackingUrl": None, "courier": None, "dispatchedDate": None}
    openapi.validate_request(INVOICE_NUMBER, "patch", body)
    with pytest.raises(PayloadError, match="needs a tracking number"):
        tracking_body(plain_invoice())


def test_the_receipt_is_read_from_vtexs_answer():
    answer = {"date": "2024-02-07T15:22:56.7612218-02:00", "orderId": "123543123", "receipt": "38e0e47d"}

    assert read_receipt(answer) == {"date": answer["date"], "order_id": "123543123", "receipt": "38e0e47d"}
    with pytest.raises(PayloadError):
        read_receipt({"date": "x", "orderId": "y"})


def order_with(*packages: dict, status: str = "handling", value: int = 3000) -> dict:
    return {
        "orderId": ORDER_ID,
        "status": status,
        "value": value,
        "packageAttachment": {"packages": list(packages)},
    }


def test_an_order_read_back_finds_our_invoice_and_sums_sales_and_returns():
    sold = {"type": "Output", "invoiceNumber": "NF-1", "invoiceValue": 3000}
    returned = {"type": "Input", "invoiceNumber": "RET-1", "invoiceValue": 500}

    view = read_order(order_with(sold, returned, status="invoiced"), "RET-1")

    assert (view.invoiced_cents, view.returned_cents, view.fully_invoiced) == (3000, 500, True)
    assert view.package == returned
    assert view.status == "open"
    assert view.remote_status == "invoiced"
    assert read_order(order_with(sold), "NF-9").package is None


def test_a_partially_invoiced_order_is_not_fully_invoiced():
    view = read_order(order_with({"type": "Output", "invoiceNumber": "NF-1", "invoiceValue": 1000}), "NF-1")

    assert not view.fully_invoiced
    assert view.status == "draft"


@pytest.mark.parametrize(
    "order",
    [None, [], {"status": 3}, {"status": "invoiced"}, order_with({"type": "Output", "invoiceValue": "lots"})],
)
def test_an_order_vtex_would_never_send_is_unreadable(order):
    with pytest.raises(PayloadError):
        read_order(order, "NF-1")


def test_an_invoice_of_the_order_maps_back_to_our_fields():
    package = {
        "type": "Input",
        "invoiceNumber": "RET-1",
        "invoiceValue": 2128,
        "issuanceDate": "2026-11-01T00:00:00+00:00",
        "courier": None,
        "trackingNumber": "87658",
        "trackingUrl": None,
        "dispatchedDate": "2022-02-08T13:16:13.4617653+00:00",
    }

    fields = package_fields(package, "EUR")

    assert fields == {
        "remote_number": "RET-1",
        "invoice_type": "return",
        "total": Decimal("21.28"),
        "issuance_date": "2026-11-01T00:00:00+00:00",
        "courier": "",
        "tracking_number": "87658",
        "tracking_url": "",
        "dispatched_at": dt.datetime(2022, 2, 8, 13, 16, 13, 461765, tzinfo=dt.UTC),
    }


def test_vtexs_error_envelope_gives_its_message_and_code():
    assert error_of({"error": {"code": "1", "message": "Order 1 not found.", "exception": None}}) == (
        "Order 1 not found.",
        "1",
    )
    assert error_of({"Message": "An error has occurred."}) == ("An error has occurred.", "")
    assert error_of("<html>") == ("", "")
