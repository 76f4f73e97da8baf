"""The generic API's body built from our invoice, and its answer read back: pure functions, no network."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from providers.base import Change, InvoiceData, LineData, Operation
from providers.generic.payloads import (
    MissingMapping,
    PayloadError,
    error_text,
    read_answer,
    update_body,
)
from providers.jsonnumbers import dumps_compact

INVOICE_ID = "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f"


def invoice(**overrides: Any) -> InvoiceData:
    values: dict[str, Any] = {
        "id": 1,
        "number": "INV-1",
        "invoice_type": "sale",
        "status": "open",
        "currency": "USD",
        "customer_name": "Ada Lovelace",
        "issue_date": dt.date(2026, 11, 1),
        "due_date": dt.date(2026, 12, 1),
        "subtotal": Decimal("30.30"),
        "tax": Decimal("0"),
        "discount": Decimal("0"),
        "total": Decimal("30.30"),
        "remote_id": INVOICE_ID,
        "customer_ref": "7a1c9e52-0b3d-4f8e-a6c1-2d4e6f8a0b1c",
        "receiving_account_ref": "c4e6a8b0-1d3f-4a5c-8e7b-9f0a1b2c3d4e",
        "lines": (
            LineData(
                sku="0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
                description="Widget",
                quantity=Decimal("3.000"),
                unit_price=Decimal("10.1000"),
                tax_rate=Decimal("0"),
                amount=Decimal("30.30"),
                tax=Decimal("0"),
            ),
        ),
    }
    values.update(overrides)
    return InvoiceData(**values)


PUSH_OPEN = Change(Operation.PUSH, "key-1", to_status="open", from_status="draft")


def test_the_body_carries_every_field_of_the_update_model_in_the_documents_order() -> None:
    body = update_body(invoice(), PUSH_OPEN, {})

    assert list(body) == [
        "id",
        "counterPartyId",
        "receivingAccountId",
        "counterPartyName",
        "accountName",
        "dueDate",
        "currency",
        "products",
        "taxes",
        "discount",
        "description",
        "billingCycle",
        "recuringInvoice",
        "paymentMethods",
        "notification",
        "beforeDueDates",
        "afterDueDates",
        "onDueDate",
        "status",
    ]


def test_ids_come_from_the_remote_id_and_the_customer_and_receiving_account_refs() -> None:
    body = update_body(invoice(), PUSH_OPEN, {})

    assert body["id"] == INVOICE_ID
    assert body["counterPartyId"] == "7a1c9e52-0b3d-4f8e-a6c1-2d4e6f8a0b1c"
    assert body["receivingAccountId"] == "c4e6a8b0-1d3f-4a5c-8e7b-9f0a1b2c3d4e"


def test_amounts_are_exact_json_numbers_and_quantities_whole_numbers() -> None:
    body = update_body(invoice(discount=Decimal("1.5")), PUSH_OPEN, {})

    text = dumps_compact(body)

    assert '"products":[{"productId":"0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b","quantity":3,"unitPrice":10.1}]' in text
    assert '"discount":{"discountType":2,"discountValue":1.50}' in text


def test_a_decimal_that_float_would_distort_is_sent_digit_for_digit() -> None:
    line = invoice().lines[0]
    odd = LineData(**{**line.__dict__, "unit_price": Decimal("0.1000000000000000055511")})

    text = dumps_compact(update_body(invoice(lines=(odd,)), PUSH_OPEN, {}))

    assert '"unitPrice":0.1000000000000000055511' in text


def test_a_fractional_quantity_cannot_be_sent() -> None:
    line = invoice().lines[0]
    half = LineData(**{**line.__dict__, "quantity": Decimal("1.5")})

    with pytest.raises(PayloadError, match="whole quantities"):
        update_body(invoice(lines=(half,)), PUSH_OPEN, {})


def test_an_invoice_without_remote_id_cannot_be_sent() -> None:
    with pytest.raises(PayloadError, match="remote id"):
        update_body(invoice(remote_id=""), PUSH_OPEN, {})


def test_the_currency_number_comes_from_the_accounts_mapping() -> None:
    body = update_body(invoice(currency="EUR"), PUSH_OPEN, {"currency_codes": {"EUR": 3, "USD": 1}})

    assert body["currency"] == 3


def test_usd_is_1_by_default_as_in_the_seed_document() -> None:
    assert update_body(invoice(), PUSH_OPEN, {})["currency"] == 1


def test_a_currency_without_a_mapping_names_the_setting_to_fill() -> None:
    with pytest.raises(MissingMapping, match=re.escape('"currency_codes": {"EUR"')):
        update_body(invoice(currency="EUR"), PUSH_OPEN, {})


def test_the_integer_enums_are_taken_as_given_from_provider_fields() -> None:
    fields = {
        "currency": 7,
        "discountType": 1,
        "billingCycle": 6,
        "recuringInvoice": True,
        "paymentMethods": [3, 4],
        "notification": [2],
        "beforeDueDates": [5],
        "afterDueDates": [1, 2],
        "onDueDate": True,
        "accountName": "Receivables",
    }

    body = update_body(invoice(provider_fields=fields), PUSH_OPEN, {})

    assert body["currency"] == 7
    assert body["discount"]["discountType"] == 1
    assert {k: body[k] for k in fields if k not in ("currency", "discountType")} == {
        k: v for k, v in fields.items() if k not in ("currency", "discountType")
    }


def test_absent_enums_are_sent_as_the_servers_own_defaults() -> None:
    body = update_body(invoice(), PUSH_OPEN, {})

    assert body["billingCycle"] == 0
    assert body["recuringInvoice"] is False
    assert body["paymentMethods"] == body["notification"] == body["beforeDueDates"] == body["afterDueDates"] == []
    assert body["onDueDate"] is False


def test_taxes_given_as_json_floats_are_sent_as_their_written_digits() -> None:
    taxes = [{"taxId": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "taxPercentageValue": 2.3}]

    text = dumps_compact(update_body(invoice(provider_fields={"taxes": taxes}), PUSH_OPEN, {}))

    assert '"taxes":[{"taxId":"9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d","taxPercentageValue":2.3}]' in text


def test_the_due_date_is_a_date_time_without_zone_and_null_when_absent() -> None:
    assert update_body(invoice(), PUSH_OPEN, {})["dueDate"] == "2026-12-01T00:00:00"
    assert update_body(invoice(due_date=None), PUSH_OPEN, {})["dueDate"] is None


def test_the_status_sent_is_the_one_the_change_moves_to() -> None:
    void = Change(Operation.PUSH, "key-2", to_status="void", from_status="open")

    assert update_body(invoice(), void, {})["status"] == "Void"
    assert update_body(invoice(), Change(Operation.PUSH, "key-3"), {})["status"] == "Pending"


def test_the_answer_gives_the_remote_id_the_exact_amount_and_our_status() -> None:
    answer = {
        "succeeded": True,
        "message": "ok",
        "errors": [],
        "data": {"invoiceId": INVOICE_ID, "amount": Decimal("136.29"), "status": "Pending"},
    }

    assert read_answer(answer, {}) == {
        "remote_id": INVOICE_ID,
        "amount": Decimal("136.29"),
        "remote_status": "Pending",
        "status": "open",
    }


def test_an_answer_without_data_maps_to_nothing() -> None:
    assert read_answer({"succeeded": True, "data": None}, {}) == {
        "remote_id": "",
        "amount": None,
        "remote_status": "",
        "status": None,
    }


def test_the_error_text_keeps_the_providers_message_and_errors() -> None:
    answer = {"succeeded": False, "message": "Validation failed.", "errors": ["$.id: bad", "$.currency: bad"]}

    assert error_text(answer, "fallback") == "Validation failed. $.id: bad; $.currency: bad"
    assert error_text("not an envelope", "fallback") == "fallback"
