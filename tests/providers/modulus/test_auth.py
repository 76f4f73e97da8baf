"""modulus authentication: credentials, the 15-minute token, its cache and its renewal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import time_machine

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation
from providers.registry import adapter_for
from providers.sandbox import modulus as sandbox
from tests.factories import make_invoice
from tests.providers.faults import assert_bad_credentials_are_configuration_errors

from .conftest import calls

TO_VOID = Change(Operation.PUSH, "idem-void", to_status="void", from_status="open")
AUTH = ("POST", "/api/cmn/Authenticate", 200)
PATCH = ("PATCH", "/api/inv/v1/Invoice", 200)


def held(account: Any) -> Any:
    sandbox.seed_invoice(35, "INV_35")
    return invoice_data(make_invoice(account=account, status="open", remote_id="35", remote_number="INV_35"))


def test_the_connection_test_authenticates(modulus_account: Any) -> None:
    account = modulus_account()

    message = adapter_for(account).test_connection()

    assert message == "modulus accepted the app and secret and issued a token (valid 15 minutes)."
    assert calls() == [AUTH]


def test_wrong_credentials_are_a_configuration_error_with_modulus_message(modulus_account: Any) -> None:
    account = modulus_account(credentials={"app": "app_wrong", "secret": "wrong-secret-value"})
    adapter = adapter_for(account)

    assert_bad_credentials_are_configuration_errors(adapter.test_connection)
    with pytest.raises(ConfigurationError) as excinfo:
        adapter.push(held(account), TO_VOID)
    assert excinfo.value.status_code == 401
    assert excinfo.value.message == "Authentication failed."
    assert ("PATCH", "/api/inv/v1/Invoice", 200) not in calls()


def test_missing_credentials_are_a_configuration_error_before_sending(modulus_account: Any) -> None:
    account = modulus_account(credentials={"app": "app_only"})

    with pytest.raises(ConfigurationError, match="needs its app and secret"):
        adapter_for(account).test_connection()
    assert calls() == []


def test_modulus_answers_400_when_a_parameter_is_missing(sandbox_url: str, transactional_db: None) -> None:
    response = requests.post(f"{sandbox_url}/modulus/api/cmn/Authenticate", data={"app": "x"}, timeout=5)

    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "title": "Bad Request",
        "message": "Missing one or more of parameters account, app, secret.",
        "object": None,
    }


def test_a_token_is_reused_while_it_is_fresh(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held(account)

    adapter_for(account).push(invoice, TO_VOID)
    adapter_for(account).push(invoice, TO_VOID)  # a new adapter: the token comes from the shared cache

    assert calls() == [AUTH, PATCH, PATCH]


def test_a_token_is_renewed_a_minute_before_its_15_minutes_are_up(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held(account)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=True):
        adapter_for(account).test_connection()
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=10), tick=True):
        result = adapter_for(account).push(invoice, TO_VOID)

    # renewed before modulus would have refused it: no 401 on the way
    assert calls() == [AUTH, AUTH, PATCH]
    assert [e.method for e in result.exchanges] == ["POST", "PATCH"]


def test_a_token_modulus_ended_early_is_renewed_once_and_the_call_resent(modulus_account: Any) -> None:
    # given a cached token modulus no longer accepts
    account = modulus_account()
    invoice = held(account)
    adapter_for(account).test_connection()
    sandbox.expire_tokens()

    # when
    result = adapter_for(account).push(invoice, TO_VOID)

    # then
    assert result.ok
    assert calls() == [AUTH, ("PATCH", "/api/inv/v1/Invoice", 401), AUTH, PATCH]
    assert [e.status_code for e in result.exchanges] == [401, 200, 200]


def test_an_expired_token_is_answered_401_with_modulus_envelope(sandbox_url: str, transactional_db: None) -> None:
    from .conftest import raw_invoice_call, raw_token

    token = raw_token(sandbox_url)
    sandbox.expire_tokens()

    response = raw_invoice_call(sandbox_url, "PATCH", {"customer_details": {}}, token)

    assert response.status_code == 401
    assert response.json() == {
        "result": False,
        "title": "Unauthorized",
        "message": "Invalid or expired token.",
        "object": None,
    }


def test_a_token_modulus_keeps_refusing_is_a_configuration_error(modulus_account: Any, monkeypatch: Any) -> None:
    account = modulus_account()
    invoice = held(account)
    # a sandbox that issues tokens and then never accepts them
    monkeypatch.setattr(sandbox, "TOKEN_LIFETIME_S", 0)

    with pytest.raises(ConfigurationError) as excinfo:
        adapter_for(account).push(invoice, TO_VOID)

    assert excinfo.value.status_code == 401
    assert excinfo.value.message == "Invalid or expired token."
    assert len(excinfo.value.exchanges) == 4  # authenticate, refused, authenticate again, refused again
