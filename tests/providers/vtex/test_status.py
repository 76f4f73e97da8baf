"""The status map between our invoice statuses and VTEX's order statuses, both ways (no network)."""

from __future__ import annotations

import pytest

from invoices.lifecycle import InvoiceStatus
from providers.vtex.status import FROM_VTEX, TO_VTEX, from_vtex, to_vtex


@pytest.mark.parametrize(
    ("ours", "theirs"), [("draft", "ready-for-handling"), ("open", "invoiced"), ("void", "canceled")]
)
def test_a_status_vtex_knows_maps_there_and_back(ours, theirs):
    assert to_vtex(ours) == theirs
    assert from_vtex(theirs) == ours


@pytest.mark.parametrize("ours", ["paid", "uncollectible", "refunded"])
def test_statuses_vtex_has_no_word_for_map_to_nothing(ours):
    assert to_vtex(ours) is None


@pytest.mark.parametrize("theirs", ["payment-pending", "payment-approved", "window-to-cancel", "handling"])
def test_an_order_not_yet_invoiced_is_a_draft_for_us(theirs):
    assert from_vtex(theirs) == "draft"


def test_an_order_status_is_read_whatever_its_case_and_spacing():
    assert from_vtex(" Invoiced ") == "open"


def test_an_undocumented_order_status_maps_to_nothing():
    assert from_vtex("teleported") is None


def test_every_mapped_status_is_one_of_ours():
    assert set(FROM_VTEX.values()) | set(TO_VTEX) <= set(InvoiceStatus.values)
