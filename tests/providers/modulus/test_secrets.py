"""No credential and no issued token reaches an exchange, the sandbox's request log or the log output."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation
from providers.registry import adapter_for
from providers.sandbox import modulus as sandbox
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.framework import list_objects
from providers.sandbox.models import SandboxRequest
from tests.factories import make_invoice

TO_OPEN = Change(Operation.PUSH, "idem-open", to_status="open", from_status="draft")
TO_VOID = Change(Operation.PUSH, "idem-void", to_status="void", from_status="open")


def sandbox_log_text() -> str:
    return repr(list(SandboxRequest.objects.values("path", "headers", "body", "response_body")))


def test_no_secret_or_token_is_left_anywhere_after_create_update_and_renewal(
    modulus_account: Any, caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: every random hex string made from here on is recorded (the emulator keeps only its tokens' digests)
    made: list[str] = []
    token_hex = sandbox.secrets.token_hex

    def recorded(nbytes: int | None = None) -> str:
        made.append(token_hex(nbytes))
        return made[-1]

    monkeypatch.setattr(sandbox.secrets, "token_hex", recorded)
    account = modulus_account()
    sandbox.seed_invoice(35, "INV_35")
    held = invoice_data(make_invoice(account=account, status="open", remote_id="35", remote_number="INV_35"))
    new = invoice_data(make_invoice(account=account, customer_ref="CUST-7"))
    caplog.set_level(logging.DEBUG)  # from here on: the factory above logs what it was given

    # when: authenticate, create, update, then a renewal after modulus ends the token
    adapter = adapter_for(account)
    results = [adapter.push(new, TO_OPEN)]
    sandbox.expire_tokens()
    results.append(adapter_for(account).push(held, TO_VOID))
    adapter.test_connection()

    # then
    held_digests = {obj.key for obj in list_objects("modulus", "tokens")}
    tokens = [value for value in made if hashlib.sha256(value.encode()).hexdigest() in held_digests]
    secrets = [*sandbox_credentials("modulus").values(), *tokens]
    assert len(tokens) == 3
    exchanges = repr([e.as_dict() for r in results for e in r.exchanges] + [r.data for r in results])
    log = sandbox_log_text()
    for secret in secrets:
        assert secret not in exchanges
        assert secret not in log
        assert secret not in caplog.text
    assert "token=***" in exchanges
    assert "token=***" in log
    assert "app=***&secret=***" in log


def test_refused_credentials_are_not_repeated_in_the_error(modulus_account: Any, caplog: Any) -> None:
    wrong = {"app": "app_wrong_0123", "secret": "wrong-secret-0123456789"}
    account = modulus_account(credentials=wrong)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ConfigurationError) as excinfo:
        adapter_for(account).test_connection()

    text = str(excinfo.value) + repr([e.as_dict() for e in excinfo.value.exchanges])
    for value in wrong.values():
        assert value not in text
        assert value not in sandbox_log_text()
        assert value not in caplog.text
