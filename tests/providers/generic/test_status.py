"""The generic API's status words, both ways."""

from __future__ import annotations

import pytest

from invoices.lifecycle import InvoiceStatus
from providers.generic.status import TO_GENERIC, from_generic, to_generic


@pytest.mark.parametrize("status", InvoiceStatus.values)
def test_every_status_of_ours_has_a_word_and_comes_back_from_it(status: str) -> None:
    assert from_generic(to_generic(status)) == status


def test_open_is_pending_as_the_seed_document_shows() -> None:
    assert to_generic("open") == "Pending"
    assert from_generic("Pending") == "open"


def test_words_are_read_whatever_their_case() -> None:
    assert from_generic("  pAiD ") == "paid"


def test_an_unknown_word_maps_to_no_status() -> None:
    assert from_generic("Overdue") is None


def test_an_account_can_rename_a_word_and_read_it_back() -> None:
    words = {"void": "Cancelled"}

    assert to_generic("void", words) == "Cancelled"
    assert from_generic("Cancelled", words) == "void"
    assert from_generic("Void", words) is None


def test_the_words_are_distinct_so_the_map_is_a_bijection() -> None:
    assert len(set(TO_GENERIC.values())) == len(TO_GENERIC) == len(InvoiceStatus.values)
