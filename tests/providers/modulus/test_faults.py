"""Every sandbox fault maps to the error class the relay expects, on the invoice call and on Authenticate."""

from __future__ import annotations

from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.registry import adapter_for
from providers.sandbox import modulus as sandbox
from tests.factories import make_invoice
from tests.providers.faults import FAULT_EXPECTATIONS, assert_fault_maps

from .conftest import invoice_effects

TO_VOID = Change(Operation.PUSH, "idem-void", to_status="void", from_status="open")


@pytest.mark.parametrize("fault", list(FAULT_EXPECTATIONS))
def test_a_status_update_maps_each_fault_to_its_error_class(modulus_account: Any, fault: str) -> None:
    # given a token already cached, so that the fault hits the invoice call itself
    account = modulus_account(read_timeout=1)
    sandbox.seed_invoice(35, "INV_35")
    invoice = invoice_data(make_invoice(account=account, status="open", remote_id="35", remote_number="INV_35"))
    adapter_for(account).test_connection()

    # when / then
    error = assert_fault_maps("modulus", fault, lambda: adapter_for(account).push(invoice, TO_VOID))
    _, _, applied = FAULT_EXPECTATIONS[fault]
    assert len(invoice_effects()) == (1 if applied else 0)
    assert error.exchanges[-1].method == "PATCH"


@pytest.mark.parametrize("fault", list(FAULT_EXPECTATIONS))
def test_authenticating_maps_each_fault_to_its_error_class(modulus_account: Any, fault: str) -> None:
    account = modulus_account(read_timeout=1)

    assert_fault_maps("modulus", fault, adapter_for(account).test_connection)
