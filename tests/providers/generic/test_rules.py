"""The generic API adds no rule of its own: every lifecycle move and every edit is allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invoices.lifecycle import TRANSITIONS
from providers.base import InvoiceData
from providers.generic.adapter import GenericAdapter
from providers.registry import adapter_class
from providers.rules import check_edit, check_transition

MOVES = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]


def invoice(status: str) -> InvoiceData:
    return InvoiceData(
        id=1,
        number="INV-1",
        invoice_type="sale",
        status=status,
        currency="USD",
        customer_name="Ada",
        issue_date=dt.date(2026, 11, 1),
        subtotal=Decimal("0"),
        tax=Decimal("0"),
        discount=Decimal("0"),
        total=Decimal("0"),
    )


def test_the_generic_kind_is_registered() -> None:
    assert adapter_class("generic") is GenericAdapter


@pytest.mark.parametrize(("from_status", "to_status"), MOVES)
def test_every_lifecycle_move_is_allowed(from_status: str, to_status: str) -> None:
    check_transition("generic", invoice(from_status), to_status)


@pytest.mark.parametrize("status", list(TRANSITIONS))
def test_every_edit_is_allowed(status: str) -> None:
    check_edit("generic", invoice(status), {"lines", "currency", "customer_name", "provider_fields"})
