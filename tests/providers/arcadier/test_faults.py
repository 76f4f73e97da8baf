"""Each sandbox fault maps to the right error class, with its uncertainty and whether its effect applied."""

from __future__ import annotations

from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import TemporaryError
from providers.registry import adapter_for
from tests.providers.arcadier.support import calls, checked_out, email, push
from tests.providers.faults import FAULT_EXPECTATIONS, assert_fault_maps, effects, script_faults

FAULTS = ["5xx", "503", "429", "drop", "timeout", "malformed"]


@pytest.fixture
def fast(sandbox_account: Any, settings: Any) -> Any:
    # A timeout fault holds its answer for 2 s, past the account's 1 s read timeout, so the tests stay quick.
    settings.SANDBOX_FAULTS = {"arcadier": {"timeout_s": 2}}
    return sandbox_account("arcadier", read_timeout=1)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_on_the_payments_update_maps_to_a_temporary_error(fast: Any, fault: str) -> None:
    # given a token already obtained, so that the fault hits the update itself
    invoice = checked_out(fast, status="paid", orders=1)
    adapter = adapter_for(fast)
    adapter.test_connection()

    # when / then
    error = assert_fault_maps("arcadier", fault, lambda: adapter.push(invoice_data(invoice), push("paid")))
    applied = FAULT_EXPECTATIONS[fault][2]
    assert any("PaymentStatus Pending -> Paid" in e for e in effects("arcadier")) is applied
    assert error.exchanges[-1].method == "PUT"


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_on_the_invoice_email_maps_to_a_temporary_error(fast: Any, fault: str) -> None:
    invoice = checked_out(fast)
    adapter = adapter_for(fast)
    adapter.test_connection()

    assert_fault_maps("arcadier", fault, lambda: adapter.send_email(invoice_data(invoice), email()))
    applied = FAULT_EXPECTATIONS[fault][2]
    assert any(e.startswith("invoice email sent") for e in effects("arcadier")) is applied


@pytest.mark.parametrize("fault", ["5xx", "503", "429", "malformed"])
def test_a_fault_on_the_token_request_maps_to_a_temporary_error(fast: Any, fault: str) -> None:
    invoice = checked_out(fast)

    error = assert_fault_maps("arcadier", fault, lambda: adapter_for(fast).push(invoice_data(invoice), push("open")))

    assert [e.url.rsplit("/", 1)[-1] for e in error.exchanges] == ["token"]
    assert [method for method, _, _ in calls()] == ["POST"]


@pytest.mark.parametrize("fault", ["drop", "timeout"])
def test_a_read_that_got_no_answer_is_retried_at_once(fast: Any, fault: str) -> None:
    invoice = checked_out(fast)
    adapter = adapter_for(fast)
    adapter.test_connection()
    script_faults("arcadier", [fault], timeout_s=2)

    remote = adapter.fetch_remote(invoice_data(invoice))

    assert remote.exists
    assert [method for method, _, _ in calls()] == ["POST", "GET", "GET"]


def test_a_read_that_keeps_failing_is_a_temporary_error(fast: Any) -> None:
    invoice = checked_out(fast)
    adapter = adapter_for(fast)
    adapter.test_connection()
    script_faults("arcadier", ["drop", "drop", "drop"])

    with pytest.raises(TemporaryError) as excinfo:
        adapter.fetch_remote(invoice_data(invoice))

    assert excinfo.value.uncertain
