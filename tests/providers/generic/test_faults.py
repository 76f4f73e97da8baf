"""Every sandbox fault maps to the error class the relay expects."""

from __future__ import annotations

from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.registry import adapter_for
from providers.sandbox import generic as sandbox
from tests.providers.faults import FAULT_EXPECTATIONS, assert_fault_maps, effects

from .conftest import invoice_like_the_full_seed, seed_body

OPEN = Change(Operation.PUSH, "idem-1", to_status="open", from_status="draft")


@pytest.mark.parametrize("fault", list(FAULT_EXPECTATIONS))
def test_a_push_maps_each_fault_to_its_error_class(generic_account: Any, fault: str) -> None:
    # given an account that waits 1 s for an answer (the sandbox's timeout fault answers later)
    account = generic_account(read_timeout=1)
    seed = seed_body("generic_update_full.json")
    sandbox.seed_invoice(
        seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
    )
    invoice = invoice_data(invoice_like_the_full_seed(account))

    # when / then
    assert_fault_maps("generic", fault, lambda: adapter_for(account).push(invoice, OPEN))
    _, _, applied = FAULT_EXPECTATIONS[fault]
    assert len(effects("generic")) == (1 if applied else 0)


@pytest.mark.parametrize("fault", ["5xx", "503", "429", "malformed"])
def test_a_connection_test_maps_faults_too(generic_account: Any, fault: str) -> None:
    account = generic_account()

    assert_fault_maps("generic", fault, adapter_for(account).test_connection)
