"""What goes wrong with Rapyd maps to our error classes, with Rapyd's own message and code kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from providers.base import ConfigurationError, InvoiceData, RejectedError, TemporaryError
from providers.models import ProviderAccount
from providers.rapyd.adapter import RapydAdapter
from providers.registry import adapter_for
from providers.sandbox import rapyd as emulator
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest
from tests.providers.faults import FAULT_EXPECTATIONS, assert_fault_maps, effects

from .helpers import push_change

Build = Callable[..., InvoiceData]
Accounts = Callable[..., ProviderAccount]


@pytest.mark.parametrize(
    ("held", "ours", "from_status", "to_status", "fields", "status_code", "code", "words"),
    [
        ("open", "draft", None, None, {}, 400, "ERROR_UPDATE_NOT_DRAFT_INVOICE", "draft"),
        (
            "draft",
            "draft",
            None,
            None,
            {"invoice_type": "payout"},
            400,
            "ERROR_UPDATE_PAYOUT_INVOICE",
            "payment",
        ),
        ("draft", "void", "open", "void", {}, 400, "ERROR_VOID_NOT_UNCOLLECTIBLE_OR_OPEN_INVOICE", "void"),
        (
            "paid",
            "uncollectible",
            "open",
            "uncollectible",
            {},
            400,
            "ERROR_MARK_UNCOLLECTIBLE_NOT_OPEN_INVOICE",
            "open",
        ),
        ("open", "void", "draft", "void", {}, 400, "ERROR_DELETE_NOT_DRAFT_INVOICE", "draft"),
        (
            "open",
            "paid",
            "open",
            "paid",
            {"invoice_type": "payout"},
            400,
            "ERROR_PAY_INVOICE_PAYMENT",
            "payment",
        ),
        ("open", "open", "draft", "open", {}, 400, "ERROR_FINALIZE_NOT_DRAFT_INVOICE", "draft"),
    ],
)
def test_each_documented_refusal_is_a_rejection_with_rapyds_message_and_code(
    adapter: RapydAdapter,
    rapyd_invoice: Build,
    held: str,
    ours: str,
    from_status: str | None,
    to_status: str | None,
    fields: dict[str, Any],
    status_code: int,
    code: str,
    words: str,
) -> None:
    # given Rapyd holding the invoice in a status that does not allow the call
    remote = emulator.seed_invoice(status=held, **fields)

    # when
    with pytest.raises(RejectedError) as excinfo:
        adapter.push(rapyd_invoice(status=ours, remote_id=remote["id"]), push_change(to_status, from_status))

    # then
    error = excinfo.value
    assert (error.status_code, error.provider_code) == (status_code, code)
    assert words in error.message
    assert code in str(error)
    assert error.exchanges[0].status_code == status_code
    assert emulator.stored_invoice(remote["id"]) == remote, "nothing changed at Rapyd"
    assert effects("rapyd") == []


def test_an_unknown_remote_id_is_rejected_with_rapyds_not_found(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    data = rapyd_invoice(status="open", remote_id="invoice_00000000000000000000000000000000")

    with pytest.raises(RejectedError) as excinfo:
        adapter.push(data, push_change("open", "draft"))

    assert (excinfo.value.status_code, excinfo.value.provider_code) == (404, "ERROR_GET_INVOICE")


def test_a_statement_descriptor_over_22_characters_is_rejected(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    remote = emulator.seed_invoice()
    data = rapyd_invoice(remote_id=remote["id"], provider_fields={"statement_descriptor": "x" * 23})

    with pytest.raises(RejectedError) as excinfo:
        adapter.push(data, push_change())

    assert excinfo.value.provider_code == "INVALID_STATEMENT_DESCRIPTOR"
    assert "22" in excinfo.value.message


def test_a_create_without_a_customer_is_rejected_by_rapyd(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    with pytest.raises(RejectedError) as excinfo:
        adapter.push(rapyd_invoice(customer_ref=""), push_change())

    assert excinfo.value.provider_code == "INVALID_CUSTOMER"


def test_lines_with_several_tax_rates_are_rejected_before_anything_is_sent(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    lines = [{"unit_price": 10, "tax_rate": 19}, {"unit_price": 10, "tax_rate": 7}]

    with pytest.raises(RejectedError, match="one rate"):
        adapter.push(rapyd_invoice(lines=lines), push_change())

    assert not SandboxRequest.objects.filter(kind="rapyd").exists()


@pytest.mark.parametrize("wrong", ["access_key", "secret_key"])
def test_wrong_credentials_are_a_configuration_error(
    sandbox_account: Accounts, rapyd_invoice: Build, wrong: str
) -> None:
    credentials = {**sandbox_credentials("rapyd"), wrong: f"{wrong}-not-right-0001"}
    adapter = adapter_for(sandbox_account("rapyd", credentials=credentials))

    with pytest.raises(ConfigurationError) as excinfo:
        adapter.test_connection()
    with pytest.raises(ConfigurationError):
        adapter.push(rapyd_invoice(), push_change())

    assert (excinfo.value.status_code, excinfo.value.provider_code) == (401, "UNAUTHENTICATED_API_CALL")


def test_missing_credentials_are_a_configuration_error_before_any_request(sandbox_account: Accounts) -> None:
    adapter = adapter_for(sandbox_account("rapyd", credentials={"access_key": "rak_only_the_key"}))

    with pytest.raises(ConfigurationError, match="secret key"):
        adapter.test_connection()

    assert not SandboxRequest.objects.filter(kind="rapyd").exists()


@pytest.mark.parametrize("fault", ["5xx", "503", "429", "drop", "timeout", "malformed"])
def test_each_sandbox_fault_maps_to_a_temporary_error(
    sandbox_account: Accounts, rapyd_invoice: Build, fault: str
) -> None:
    # given an open invoice at Rapyd, and an account that waits one second for answers
    adapter = adapter_for(sandbox_account("rapyd", read_timeout=1))
    remote = emulator.seed_invoice(status="open")
    data = rapyd_invoice(status="paid", remote_id=remote["id"])

    # when the payment is pushed into the fault
    error = assert_fault_maps("rapyd", fault, lambda: adapter.push(data, push_change("paid", "open")))

    # then the effect was applied exactly when the fault lets the request through
    applied = FAULT_EXPECTATIONS[fault][2]
    assert effects("rapyd") == ([f"paid {remote['id']}"] if applied else [])
    assert len(error.exchanges) == 1


def test_the_rate_limit_is_a_temporary_error_with_retry_after(
    adapter: RapydAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator, "RATE_LIMIT_PER_MINUTE", 1)
    adapter.test_connection()

    with pytest.raises(TemporaryError) as excinfo:
        adapter.test_connection()

    assert excinfo.value.status_code == 429
    assert excinfo.value.retry_after is not None
    assert 0 < excinfo.value.retry_after <= 60
