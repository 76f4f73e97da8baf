"""No Rapyd secret leaks: not in exchanges, errors, the sandbox's request log, nor the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from providers.base import Exchange, InvoiceData, ProviderError
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox import rapyd as emulator
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest

from .helpers import push_change


def test_no_credential_or_signature_appears_in_exchanges_errors_the_sandbox_log_or_logs(
    sandbox_account: Callable[..., ProviderAccount],
    rapyd_invoice: Callable[..., InvoiceData],
    caplog: pytest.LogCaptureFixture,
) -> None:
    credentials = sandbox_credentials("rapyd")
    wrong = {**credentials, "secret_key": "rsk_wrong-secret-for-this-test"}
    adapter = adapter_for(sandbox_account("rapyd"))
    refused = adapter_for(sandbox_account("rapyd", credentials=wrong))
    exchanges: list[Exchange] = []
    # from here on: everything the adapter, the HTTP client and the sandbox log, at every level
    caplog.set_level(logging.DEBUG)
    errors: list[ProviderError] = []

    # when every kind of call is made: connection test, create + finalize, pay, read back, refusals
    adapter.test_connection()
    opened = rapyd_invoice(status="open", lines=[{"unit_price": 3}])
    created = adapter.push(opened, push_change("open", "draft"))
    exchanges += created.exchanges
    held = replace(opened, status="paid", remote_id=created.remote_id)
    exchanges += adapter.push(held, push_change("paid", "open")).exchanges
    exchanges += adapter.fetch_remote(held).exchanges
    for call in (
        lambda: refused.test_connection(),
        lambda: adapter.push(rapyd_invoice(remote_id=emulator.seed_invoice(status="open")["id"]), push_change()),
    ):
        with pytest.raises(ProviderError) as excinfo:
            call()
        errors.append(excinfo.value)
        exchanges += excinfo.value.exchanges

    # then
    signatures = [row.headers.get("Signature") for row in SandboxRequest.objects.filter(kind="rapyd")]
    assert signatures
    assert set(signatures) == {"***"}, "the sandbox masks signatures by name"
    secrets = (*credentials.values(), wrong["secret_key"])
    stored = [json.dumps(e.as_dict(), ensure_ascii=False) for e in exchanges]
    logged = [
        f"{r.path} {json.dumps(r.headers)} {r.body} {r.response_body}"
        for r in SandboxRequest.objects.filter(kind="rapyd")
    ]
    raised = [f"{e} {e.message}" for e in errors]
    previews = [json.dumps(p.__dict__, ensure_ascii=False) for p in adapter.preview(rapyd_invoice(), push_change())]
    assert any(r.name == "providers.http" for r in caplog.records), "the HTTP client's log was captured"
    for text in [*stored, *logged, *raised, *previews, caplog.text]:
        for secret in secrets:
            assert secret not in text
    assert all(e.request_headers.get("access_key") == "***" for e in exchanges)
    assert all(e.request_headers.get("signature") == "***" for e in exchanges)
