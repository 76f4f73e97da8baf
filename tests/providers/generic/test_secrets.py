"""No credential reaches an exchange, the sandbox's request log or the log output."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation
from providers.registry import adapter_for
from providers.sandbox import generic as sandbox
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest

from .conftest import invoice_like_the_full_seed, seed_body

OPEN = Change(Operation.PUSH, "idem-1", to_status="open", from_status="draft")


def sandbox_log_text() -> str:
    return repr(list(SandboxRequest.objects.values("path", "headers", "body", "response_body")))


@pytest.mark.parametrize(
    ("settings", "credential"),
    [({"auth_scheme": "bearer"}, "token"), ({"auth_scheme": "api_key"}, "api_key")],
)
def test_no_secret_is_left_in_exchanges_the_sandbox_log_or_the_logs(
    generic_account: Any, caplog: Any, settings: dict[str, str], credential: str
) -> None:
    secret = sandbox_credentials("generic")[credential]
    account = generic_account(settings=settings, credentials={credential: secret})
    caplog.set_level(logging.DEBUG)  # from here on: the factory above logs what it was given
    seed = seed_body("generic_update_full.json")
    sandbox.seed_invoice(
        seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
    )
    adapter = adapter_for(account)

    result = adapter.push(invoice_data(invoice_like_the_full_seed(account)), OPEN)
    adapter.test_connection()

    exchanges = repr([e.as_dict() for e in result.exchanges]) + repr(result.data)
    assert secret not in exchanges
    assert "***" in exchanges
    assert secret not in sandbox_log_text()
    assert SandboxRequest.objects.count() == 2
    assert secret not in caplog.text


def test_a_refused_credential_is_not_repeated_in_the_error(generic_account: Any, caplog: Any) -> None:
    wrong = "wrong-token-0123456789"
    account = generic_account(credentials={"token": wrong})
    caplog.set_level(logging.DEBUG)  # from here on: the factory above logs what it was given

    with pytest.raises(ConfigurationError) as excinfo:
        adapter_for(account).test_connection()

    error = excinfo.value
    assert wrong not in str(error)
    assert wrong not in repr([e.as_dict() for e in error.exchanges])
    assert wrong not in sandbox_log_text()
    assert wrong not in caplog.text
