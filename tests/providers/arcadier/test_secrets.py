"""No secret (the account's credentials, any token Arcadier issued) appears in an exchange, the sandbox's
request log or the log output."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import ConfigurationError, ProviderError
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox.arcadier import admin_id, issue_token
from providers.sandbox.models import SandboxObject
from tests.providers.arcadier.support import checked_out, email, push, sandbox_log


def logged(rows: list[Any]) -> str:
    return json.dumps(
        [{"path": r.path, "headers": r.headers, "body": r.body, "response": r.response_body} for r in rows]
    )


def test_no_secret_leaks_from_any_operation(account: ProviderAccount, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    invoice = checked_out(account)
    adapter = adapter_for(account)
    dead = issue_token(expires_in=-1)["access_token"]
    adapter.tokens.put(f"{admin_id()}|{dead}", 3600)  # forces a 401 and a renewal on the first call

    # when every operation runs
    data = invoice_data(invoice)
    exchanges = [
        *adapter.push(data, push("paid")).exchanges,
        *adapter.execute(data, email()).exchanges,
        *adapter.fetch_remote(data).exchanges,
    ]
    adapter.test_connection()
    cached = adapter.tokens.get()
    assert cached is not None
    issued = cached.value.partition("|")[2]

    # then
    secrets = [*account.get_credentials().values(), dead, issued]
    places = {
        "exchanges": json.dumps([e.as_dict() for e in exchanges]),
        "sandbox log": logged(sandbox_log()),
        "log output": caplog.text,
        "sandbox tokens": json.dumps([o.key for o in SandboxObject.objects.filter(collection="tokens")]),
    }
    for name, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in the {name}"
    assert len(exchanges) == 5  # 401, token, update; email; read
    assert all(e.request_headers["Authorization"] == "***" for e in exchanges if not e.url.endswith("/token"))


def test_no_secret_leaks_from_a_refused_login(sandbox_account: Any, caplog: pytest.LogCaptureFixture) -> None:
    credentials = {"client_id": "wrong-client-id-0001", "client_secret": "wrong-client-secret-0001"}
    account = sandbox_account("arcadier", credentials=credentials)
    caplog.set_level(logging.DEBUG)  # from here: factory_boy's own debug log echoes the fixture's arguments

    with pytest.raises(ConfigurationError) as excinfo:
        adapter_for(account).test_connection()

    texts = [str(excinfo.value), json.dumps([e.as_dict() for e in excinfo.value.exchanges]), caplog.text]
    texts.append(logged(sandbox_log()))
    for secret in credentials.values():
        assert not any(secret in text for text in texts)


def test_no_secret_leaks_from_an_error_answer(account: ProviderAccount, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    invoice = checked_out(account, seed=False)
    adapter = adapter_for(account)

    with pytest.raises(ProviderError) as excinfo:
        adapter.push(invoice_data(invoice), push("open"))

    cached = adapter.tokens.get()
    assert cached is not None
    secrets = [*account.get_credentials().values(), cached.value.partition("|")[2]]
    shown = json.dumps([e.as_dict() for e in excinfo.value.exchanges]) + str(excinfo.value) + caplog.text
    assert not any(secret in shown for secret in secrets)
