"""modulus' status words, both ways."""

from __future__ import annotations

import pytest

from invoices.lifecycle import InvoiceStatus
from providers.modulus.status import CREATABLE, UPDATABLE, from_modulus, to_modulus


@pytest.mark.parametrize(
    ("ours", "theirs"), [("draft", "STATUS_DRAFT"), ("open", "STATUS_SENT"), ("void", "STATUS_VOID")]
)
def test_each_status_modulus_knows_maps_both_ways(ours: str, theirs: str) -> None:
    assert to_modulus(ours) == theirs
    assert from_modulus(theirs) == ours


@pytest.mark.parametrize("status", ["paid", "uncollectible", "refunded"])
def test_statuses_modulus_has_no_word_for_map_to_nothing(status: str) -> None:
    assert to_modulus(status) is None


def test_an_unknown_word_maps_to_no_status() -> None:
    assert from_modulus("STATUS_PAID") is None


def test_words_are_read_without_surrounding_spaces_or_case() -> None:
    assert from_modulus(" status_void ") == "void"


def test_updates_carry_only_sent_and_void_and_creation_only_draft_and_sent() -> None:
    assert {to_modulus(s) for s in UPDATABLE} == {"STATUS_SENT", "STATUS_VOID"}
    assert {to_modulus(s) for s in CREATABLE} == {"STATUS_DRAFT", "STATUS_SENT"}
    assert set(InvoiceStatus.values) > UPDATABLE | CREATABLE
