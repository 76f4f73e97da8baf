"""What modulus would refuse is refused before anything is recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition, label
from invoices.models import Door
from invoices.services import invoice_transition, invoice_update
from providers.base import InvoiceData, Operation, ProviderRuleError
from providers.modulus.adapter import ModulusAdapter
from providers.registry import adapter_class
from tests.factories import ProviderAccountFactory, make_invoice


def invoice(status: str = "open", **overrides: Any) -> InvoiceData:
    values: dict[str, Any] = {
        "id": 1,
        "number": "INV-1",
        "invoice_type": "sale",
        "status": status,
        "currency": "EUR",
        "customer_name": "Ada",
        "issue_date": dt.date(2026, 11, 1),
        "subtotal": Decimal("0"),
        "tax": Decimal("0"),
        "discount": Decimal("0"),
        "total": Decimal("0"),
    }
    values.update(overrides)
    return InvoiceData(**values)


def test_the_modulus_kind_is_registered() -> None:
    assert adapter_class("modulus") is ModulusAdapter


@pytest.mark.parametrize(
    ("from_status", "to_status"), [("open", "paid"), ("open", "uncollectible"), ("paid", "refunded")]
)
def test_moves_to_a_status_modulus_has_no_word_for_are_refused(from_status: str, to_status: str) -> None:
    with pytest.raises(IllegalTransition) as excinfo:
        ModulusAdapter.check_transition(invoice(from_status), to_status)

    error = excinfo.value
    assert (error.from_status, error.to_status) == (from_status, to_status)
    assert error.detail == "modulus accepts only STATUS_SENT and STATUS_VOID"
    assert str(error).startswith(f"Cannot change an invoice from {label(from_status)} to {label(to_status)}")


@pytest.mark.parametrize(("from_status", "to_status"), [("draft", "open"), ("draft", "void"), ("open", "void")])
def test_sending_and_voiding_are_allowed(from_status: str, to_status: str) -> None:
    ModulusAdapter.check_transition(invoice(from_status), to_status)


def test_a_void_dated_in_the_future_is_refused() -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")

    with pytest.raises(IllegalTransition, match=r"The void date cannot be in the future\."):
        ModulusAdapter.check_transition(invoice(provider_fields={"void_date": later}), "void")


def test_a_void_dated_in_the_past_is_allowed() -> None:
    ModulusAdapter.check_transition(invoice(provider_fields={"void_date": "2025-01-14 19:59:22"}), "void")


def test_an_unreadable_void_date_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="not a date"):
        ModulusAdapter.check_transition(invoice(provider_fields={"void_date": "soon"}), "void")


@pytest.mark.parametrize("field", ["lines", "currency", "customer_name", "issue_date", "due_date", "discount"])
def test_fields_modulus_holds_cannot_be_edited_once_it_has_the_invoice(field: str) -> None:
    with pytest.raises(ProviderRuleError, match=f"modulus cannot change {field} .*updates only the status"):
        ModulusAdapter.check_edit(invoice(remote_id="35"), {field, "metadata"})


def test_an_invoice_modulus_has_not_received_can_be_edited_freely() -> None:
    ModulusAdapter.check_edit(invoice(remote_id=""), {"lines", "currency", "customer_name"})


def test_local_fields_of_an_invoice_modulus_holds_stay_editable() -> None:
    ModulusAdapter.check_edit(invoice(remote_id="35"), {"metadata", "remote_number", "provider_fields"})


def test_an_edit_of_an_invoice_modulus_holds_needs_no_delivery() -> None:
    assert ModulusAdapter.edit_operations(invoice(remote_id="35"), {"provider_fields"}) == ()
    assert ModulusAdapter.edit_operations(invoice(remote_id=""), {"lines"}) == (Operation.PUSH,)


@pytest.mark.django_db
def test_the_service_refuses_marking_a_modulus_invoice_paid_and_records_nothing() -> None:
    account = ProviderAccountFactory(kind="modulus")
    record = make_invoice(account=account, status="open")

    with pytest.raises(IllegalTransition, match="modulus accepts only STATUS_SENT and STATUS_VOID"):
        invoice_transition(invoice_id=record.pk, to_status="paid", actor=Actor.system("test"), door=Door.COMMAND)

    record.refresh_from_db()
    assert record.status == "open"
    assert record.version == 1


@pytest.mark.django_db
def test_the_service_refuses_changing_the_lines_of_an_invoice_modulus_holds() -> None:
    account = ProviderAccountFactory(kind="modulus")
    record = make_invoice(account=account, status="open", remote_id="35")

    with pytest.raises(ProviderRuleError):
        invoice_update(invoice_id=record.pk, actor=Actor.system("test"), door=Door.COMMAND, customer_name="Bob")
