"""Rapyd request bodies from our invoice data, and Rapyd's answers back in our terms (no network)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from providers.rapyd import payloads
from providers.rapyd.signing import body_string

from .helpers import CUSTOMER, load_seed
from .helpers import plain_invoice as invoice
from .helpers import plain_line as line


def test_the_create_body_names_the_customer_currency_and_lines_with_decimal_amounts() -> None:
    data = invoice(due_date=dt.date(2026, 12, 1), description="November", metadata={"order": "A-1"})

    body = payloads.create_body(data)

    assert body == {
        "customer": CUSTOMER,
        "currency": "USD",
        "lines": [{"amount": Decimal("20.00"), "description": "Widget", "quantity": 2, "unit_amount": 10}],
        "due_date": 1796083200,  # 2026-12-01T00:00:00Z
        "description": "November",
        "metadata": {"order": "A-1"},
        "tax_percent": 0,
    }
    assert '"amount":20.00' in body_string(body)


def test_a_due_date_is_sent_as_unix_seconds_and_read_back_as_the_same_day() -> None:
    seconds = payloads.unix_day(dt.date(2026, 12, 1))

    assert seconds == int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp())
    assert payloads.day_of(seconds) == dt.date(2026, 12, 1)


def test_amounts_are_rounded_to_the_currencys_minor_unit() -> None:
    data = invoice(currency="JPY", lines=(line(quantity="3", unit_price="333.5"),))

    (sent,) = payloads.lines(data)

    assert sent["amount"] == Decimal("1001")  # 1000.5 rounded half-up to yen
    assert sent["unit_amount"] == Decimal("333.5")


def test_a_fractional_quantity_stays_an_exact_decimal() -> None:
    (sent,) = payloads.lines(invoice(lines=(line(quantity="1.500", unit_price="4.00"),)))

    assert sent["quantity"] == Decimal("1.5")
    assert body_string(sent).count("1.5") == 1


def test_a_discount_becomes_a_negative_line() -> None:
    sent = payloads.lines(invoice(discount=Decimal("5")))

    assert sent[-1] == {
        "amount": Decimal("-5.00"),
        "description": "Discount",
        "quantity": 1,
        "unit_amount": Decimal("-5.00"),
    }


def test_the_tax_percent_is_the_rate_all_lines_share() -> None:
    data = invoice(lines=(line(tax_rate="19.000"), line(tax_rate="19")))

    assert payloads.tax_percent(data) == 19


def test_an_explicit_tax_percent_wins_over_the_lines() -> None:
    data = invoice(provider_fields={"tax_percent": "7.5"}, lines=(line(tax_rate="19"), line(tax_rate="7")))

    assert payloads.tax_percent(data) == Decimal("7.5")


def test_lines_with_several_tax_rates_cannot_be_said_in_rapyds_terms() -> None:
    data = invoice(lines=(line(tax_rate="19"), line(tax_rate="7")))

    with pytest.raises(payloads.PayloadError, match="one rate"):
        payloads.update_body(data)


def test_the_update_body_holds_only_the_fields_the_invoice_sets() -> None:
    data = invoice(lines=(), due_date=None, provider_fields={"days_until_due": 40, "statement_descriptor": "ACME*NOV"})

    assert payloads.update_body(data) == {"days_until_due": 40, "statement_descriptor": "ACME*NOV"}


def test_the_seed_update_examples_come_from_equivalent_invoices() -> None:
    seed_one = load_seed("rapyd_update_invoice_request.json")
    seed_two = load_seed("rapyd_update_invoice_tax_request.json")

    one = invoice(lines=(), metadata={"merchant_defined": "updated"}, provider_fields={"days_until_due": 40})
    two = invoice(lines=(), provider_fields={"tax_percent": 10})

    assert payloads.update_body(one) == seed_one
    assert payloads.update_body(two) == seed_two


def test_the_seed_answer_maps_back_to_our_fields() -> None:
    envelope = payloads.parse_envelope(body_string(load_seed("rapyd_update_invoice_response.json")))

    answer = payloads.parse_invoice(envelope.data)

    assert envelope.status == "SUCCESS"
    assert envelope.operation_id == "799baea9-ef78-41df-b841-e752d2091538"
    assert answer.remote_id == "invoice_5f9980f7355eeca21e1b97931cae6c23"
    assert (answer.remote_status, answer.status) == ("draft", "draft")
    assert answer.remote_number == ""  # Rapyd numbers an invoice when it is finalized
    assert answer.due_date == dt.date(2024, 1, 10)
    assert answer.tax_percent == 10
    assert isinstance(answer.tax_percent, Decimal)
    assert (answer.subtotal, answer.tax, answer.total) == (0, 0, 0)
    assert answer.currency == "USD"


def test_decimal_amounts_in_an_answer_stay_exact() -> None:
    text = '{"status":{"status":"SUCCESS"},"data":{"id":"invoice_1","status":"open","number":7,"total":0.30}}'

    answer = payloads.parse_invoice(payloads.parse_envelope(text).data)

    assert answer.total == Decimal("0.30")
    assert answer.remote_number == "7"
    assert payloads.json_safe({"total": Decimal("0.30")}) == {"total": "0.30"}


def test_a_deletion_receipt_maps_to_void() -> None:
    answer = payloads.parse_invoice({"deleted": True, "id": "invoice_1"})

    assert (answer.remote_status, answer.status) == ("deleted", "void")


def test_an_error_envelope_keeps_rapyds_code_and_message() -> None:
    text = (
        '{"status":{"error_code":"ERROR_UPDATE_NOT_DRAFT_INVOICE","status":"ERROR","message":"not draft",'
        '"response_code":"ERROR_UPDATE_NOT_DRAFT_INVOICE","operation_id":"op-1"}}'
    )

    envelope = payloads.parse_envelope(text)

    assert (envelope.status, envelope.error_code, envelope.message) == (
        "ERROR",
        "ERROR_UPDATE_NOT_DRAFT_INVOICE",
        "not draft",
    )
    assert envelope.data is None


@pytest.mark.parametrize("text", ["<html>", "[]", '{"data":{}}', ""])
def test_text_that_is_not_an_envelope_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json's own error is a ValueError too
        payloads.parse_envelope(text)
