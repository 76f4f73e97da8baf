"""The status map both ways (no network)."""

from __future__ import annotations

import pytest

from invoices.lifecycle import InvoiceStatus
from providers.arcadier.status import (
    EXPECTED_ORDER_STATUS,
    from_order_status,
    invoice_status,
    to_payment_status,
)

S = InvoiceStatus


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(S.OPEN, "Waiting For Payment"), (S.PAID, "Success"), (S.REFUNDED, "Refunded"), (S.VOID, "Failed")],
)
def test_our_statuses_become_arcadier_payment_statuses(ours: str, theirs: str) -> None:
    assert to_payment_status(ours) == theirs


@pytest.mark.parametrize("ours", [S.DRAFT, S.UNCOLLECTIBLE])
def test_draft_and_uncollectible_have_no_arcadier_payment_status(ours: str) -> None:
    assert to_payment_status(ours) is None


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("Paid", S.PAID),
        ("Acknowledged", S.OPEN),
        ("Processing", S.OPEN),
        ("Waiting for Payment", S.OPEN),
        ("Waiting For Payment", S.OPEN),
        ("Pending", S.OPEN),
        ("Failed", S.VOID),
        ("Refunded", S.REFUNDED),
    ],
)
def test_every_order_payment_status_maps_back_to_ours(theirs: str, ours: str) -> None:
    assert from_order_status(theirs) == ours


def test_an_unknown_order_payment_status_maps_to_nothing() -> None:
    assert from_order_status("Teleported") is None


@pytest.mark.parametrize("ours", [S.OPEN, S.PAID, S.REFUNDED, S.VOID])
def test_each_pushed_status_reads_back_as_itself(ours: str) -> None:
    assert from_order_status(EXPECTED_ORDER_STATUS[ours]) == ours


@pytest.mark.parametrize(
    ("orders", "ours"),
    [
        (["Paid", "Paid"], S.PAID),
        (["Refunded", "Refunded"], S.REFUNDED),
        (["Failed"], S.VOID),
        (["Paid", "Pending"], S.OPEN),
        (["Paid", "Refunded"], S.PAID),
        (["Refunded", "Failed"], S.REFUNDED),
        (["Pending", "Acknowledged"], S.OPEN),
    ],
)
def test_an_invoice_status_is_derived_from_all_of_its_orders(orders: list[str], ours: str) -> None:
    assert invoice_status(orders) == ours


def test_an_invoice_without_known_order_statuses_has_no_status() -> None:
    assert invoice_status([]) is None
    assert invoice_status(["Teleported"]) is None
