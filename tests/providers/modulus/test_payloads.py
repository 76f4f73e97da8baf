"""modulus bodies built from our invoice, and its answers read back: pure functions, no network."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from providers.base import InvoiceData, LineData
from providers.jsonnumbers import dumps_compact
from providers.modulus.payloads import (
    MissingMapping,
    PayloadError,
    create_body,
    error_parts,
    read_created,
    update_body,
    void_date_in_future,
)

NOW = dt.datetime(2026, 11, 21, 12, 0, 0, tzinfo=dt.UTC)
SETTINGS = {"branch_code": "HQ", "book_id": "3", "payment_term_id": 2, "unit_id": 1}


def invoice(**overrides: Any) -> InvoiceData:
    values: dict[str, Any] = {
        "id": 1,
        "number": "INV-000001",
        "invoice_type": "sale",
        "status": "open",
        "currency": "EUR",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "customer_ref": "CUST-7",
        "issue_date": dt.date(2026, 11, 1),
        "due_date": dt.date(2026, 12, 1),
        "subtotal": Decimal("20.00"),
        "tax": Decimal("0"),
        "discount": Decimal("0"),
        "total": Decimal("20.00"),
        "remote_id": "35",
        "remote_number": "INV_2023_01_01_828",
        "lines": (
            LineData(
                sku="SKU-1",
                description="Widget",
                quantity=Decimal("2.000"),
                unit_price=Decimal("10.0000"),
                tax_rate=Decimal("0"),
                amount=Decimal("20.00"),
                tax=Decimal("0"),
            ),
        ),
    }
    values.update(overrides)
    return InvoiceData(**values)


def test_sending_an_invoice_is_a_status_update_with_its_id_as_an_integer() -> None:
    assert update_body(invoice(), "open", NOW) == {
        "customer_details": {
            "invoice_id": 35,
            "status": "STATUS_SENT",
            "invoice_number": "INV_2023_01_01_828",
        }
    }


def test_the_number_falls_back_to_ours_when_modulus_gave_none() -> None:
    body = update_body(invoice(remote_number=""), "open", NOW)

    assert body["customer_details"]["invoice_number"] == "INV-000001"


def test_a_void_carries_the_moment_it_was_voided_in_modulus_format() -> None:
    voided = dt.datetime(2026, 11, 20, 9, 30, 5, 123456, tzinfo=dt.UTC)

    body = update_body(invoice(voided_at=voided), "void", NOW)

    assert body["customer_details"]["status"] == "STATUS_VOID"
    assert body["customer_details"]["void_date"] == "2026-11-20 09:30:05"


def test_a_void_date_given_in_provider_fields_wins_over_the_moment_of_voiding() -> None:
    voided = dt.datetime(2026, 11, 20, 9, 30, 5, tzinfo=dt.UTC)
    given = invoice(voided_at=voided, provider_fields={"void_date": "2026-10-31 23:59:59"})

    assert update_body(given, "void", NOW)["customer_details"]["void_date"] == "2026-10-31 23:59:59"


def test_a_void_date_in_another_zone_is_sent_in_utc() -> None:
    given = invoice(provider_fields={"void_date": "2026-11-01T02:00:00+02:00"})

    assert update_body(given, "void", NOW)["customer_details"]["void_date"] == "2026-11-01 00:00:00"


def test_without_any_date_the_void_is_dated_now() -> None:
    assert update_body(invoice(), "void", NOW)["customer_details"]["void_date"] == "2026-11-21 12:00:00"


def test_a_void_date_after_now_is_in_the_future_and_now_is_not() -> None:
    assert void_date_in_future(invoice(provider_fields={"void_date": "2026-11-21 12:00:01"}), NOW)
    assert not void_date_in_future(invoice(provider_fields={"void_date": "2026-11-21 12:00:00"}), NOW)
    assert not void_date_in_future(invoice(voided_at=NOW), NOW)


def test_an_unreadable_void_date_is_refused() -> None:
    with pytest.raises(PayloadError, match="not a date"):
        update_body(invoice(provider_fields={"void_date": "next tuesday"}), "void", NOW)


@pytest.mark.parametrize("status", ["draft", "paid", "uncollectible", "refunded"])
def test_an_update_to_anything_but_sent_or_void_cannot_be_written(status: str) -> None:
    with pytest.raises(PayloadError, match="only STATUS_SENT and STATUS_VOID"):
        update_body(invoice(), status, NOW)


def test_a_remote_id_that_is_not_a_number_cannot_be_sent() -> None:
    with pytest.raises(PayloadError, match="integers"):
        update_body(invoice(remote_id="inv-35"), "open", NOW)


def test_a_create_body_carries_customer_dates_setup_ids_status_and_items() -> None:
    body = create_body(invoice(remote_id=""), "open", SETTINGS)

    assert body == {
        "customer_details": {
            "code": "CUST-7",
            "name": "Ada Lovelace",
            "type": "organization",
            "currency": "EUR",
            "email": "ada@example.com",
        },
        "branch_code": "HQ",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "book_id": 3,
        "status": "STATUS_SENT",
        "payment_term_id": 2,
        "reference": "INV-000001",
        "items": [{"item_code": "SKU-1", "unit_id": 1, "quantity": Decimal("2"), "unit_price": Decimal("10")}],
    }


def test_a_draft_is_created_as_a_draft() -> None:
    assert create_body(invoice(remote_id="", status="draft"), "draft", SETTINGS)["status"] == "STATUS_DRAFT"


def test_create_amounts_are_exact_json_numbers() -> None:
    line = invoice().lines[0]
    odd = LineData(**{**line.__dict__, "quantity": Decimal("1.250"), "unit_price": Decimal("0.1000")})

    text = dumps_compact(create_body(invoice(lines=(odd,)), "open", SETTINGS))

    assert '"items":[{"item_code":"SKU-1","unit_id":1,"quantity":1.25,"unit_price":0.1}]' in text


def test_per_invoice_provider_fields_override_the_accounts_setup_ids() -> None:
    fields = {"book_id": 9, "customer_type": "individual", "exchange_rate": "3.6725"}

    body = create_body(invoice(provider_fields=fields), "open", SETTINGS)

    assert body["book_id"] == 9
    assert body["customer_details"]["type"] == "individual"
    assert body["exchange_rate"] == Decimal("3.6725")


def test_missing_setup_ids_are_named_and_never_guessed() -> None:
    with pytest.raises(MissingMapping, match="branch_code, payment_term_id"):
        create_body(invoice(), "open", {"book_id": 3, "unit_id": 1})


def test_an_invoice_level_discount_cannot_be_created_at_modulus() -> None:
    with pytest.raises(PayloadError, match="no invoice-level discount"):
        create_body(invoice(discount=Decimal("1.00")), "open", SETTINGS)


@pytest.mark.parametrize("status", ["void", "paid"])
def test_modulus_creates_only_drafts_and_sent_invoices(status: str) -> None:
    with pytest.raises(PayloadError, match="STATUS_DRAFT or STATUS_SENT"):
        create_body(invoice(), status, SETTINGS)


def test_the_created_invoice_id_is_read_under_both_spellings() -> None:
    assert read_created({"object": {"invoice_id": 1001, "invoice_number": " INV_1 "}}) == {
        "remote_id": "1001",
        "remote_number": "INV_1",
    }
    assert read_created({"object": {"invoice _id": 7}})["remote_id"] == "7"
    assert read_created({"object": None}) == {"remote_id": "", "remote_number": ""}


def test_an_error_keeps_the_providers_message_and_code() -> None:
    answer = {"result": False, "title": "Error", "message": "Invalid status.", "object": {"error_code": 5505}}

    assert error_parts(answer, "fallback") == ("Invalid status.", "5505")
    assert error_parts({"result": False, "message": "The void date cannot be in the future."}, "x") == (
        "The void date cannot be in the future.",
        "",
    )
    assert error_parts(None, "fallback") == ("fallback", "")
