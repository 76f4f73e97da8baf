"""The map between our statuses and Rapyd's, both ways, and the Rapyd call behind each move."""

from __future__ import annotations

import pytest

from invoices.lifecycle import TRANSITIONS, InvoiceStatus
from providers.rapyd import status


@pytest.mark.parametrize("ours", ["draft", "open", "paid", "uncollectible", "void"])
def test_each_status_rapyd_knows_maps_there_and_back(ours: str) -> None:
    theirs = status.to_rapyd(ours)

    assert theirs == ours  # Rapyd happens to use the same words
    assert status.from_rapyd(theirs) == ours


def test_refunded_has_no_rapyd_invoice_state() -> None:
    assert status.to_rapyd(InvoiceStatus.REFUNDED) is None


def test_a_deleted_rapyd_draft_is_our_void() -> None:
    assert status.from_rapyd("deleted") == "void"


def test_an_unknown_rapyd_status_maps_to_nothing() -> None:
    assert status.from_rapyd("pending_approval") is None


def test_every_move_of_our_lifecycle_has_a_rapyd_call_except_refunds() -> None:
    ours = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}

    assert set(status.MOVES) == ours - {("paid", "refunded")}


@pytest.mark.parametrize(
    ("from_status", "to_status", "method", "suffix"),
    [
        ("draft", "open", "POST", "/finalize"),
        ("draft", "void", "DELETE", ""),
        ("open", "paid", "POST", "/pay"),
        ("uncollectible", "paid", "POST", "/pay"),
        ("open", "void", "POST", "/void"),
        ("uncollectible", "void", "POST", "/void"),
        ("open", "uncollectible", "POST", "/mark_uncollectible"),
    ],
)
def test_each_move_uses_rapyds_own_endpoint(from_status: str, to_status: str, method: str, suffix: str) -> None:
    move = status.move_for(from_status, to_status)

    assert move is not None
    assert (move.method, move.suffix) == (method, suffix)


def test_without_a_known_origin_void_means_rapyds_void_call() -> None:
    assert status.move_for(None, "void") is status.VOID_MOVE
    assert status.move_for(None, "refunded") is None
