"""No VTEX credential leaks into exchanges, results, errors, previews, the sandbox's request log or logs."""

from __future__ import annotations

import json
import logging

import pytest

from providers.base import ConfigurationError, ProviderError
from providers.registry import adapter_for
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest
from providers.sandbox.vtex import readonly_credentials

from .helpers import SEND, TRACK


def test_no_credential_appears_in_anything_the_adapter_returns_or_logs(sandbox_account, adapter, order, sale, caplog):
    # given (built before capturing: the test factories log the credentials they are handed)
    secrets = [*sandbox_credentials("vtex").values(), *readonly_credentials().values()]
    invoice = sale(courier="carrierOne", tracking_number="87658", tracking_url="https://t.example/87658")
    give_back = sale(invoice_type="return", number="RET-1")
    reader = adapter_for(sandbox_account("vtex", credentials=readonly_credentials()))
    wrong = adapter_for(
        sandbox_account("vtex", credentials={**sandbox_credentials("vtex"), "app_token": "WRONG-TOKEN-0"})
    )
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    # when every operation runs, including refusals by VTEX and by us
    seen.append(adapter.test_connection())
    previews = [
        *adapter.preview(invoice, SEND),
        *adapter.preview(invoice, TRACK),
        *adapter.preview(give_back, SEND),
    ]
    results = [
        adapter.push(invoice, SEND),
        adapter.send_tracking(invoice, TRACK),
        adapter.push(give_back, SEND),
    ]
    remote = adapter.fetch_remote(invoice)
    errors: list[ProviderError] = []
    for refused_adapter in (reader, wrong):
        with pytest.raises(ConfigurationError) as refused:
            refused_adapter.push(invoice, SEND)
        errors.append(refused.value)

    # then
    exchanges = [e for r in results for e in r.exchanges] + list(remote.exchanges)
    exchanges += [e for error in errors for e in error.exchanges]
    seen += [json.dumps(e.as_dict()) for e in exchanges]
    seen += [json.dumps(r.data) + r.message for r in results] + [json.dumps(remote.data)]
    seen += [str(error) for error in errors]
    seen += [json.dumps([p.headers, p.url, p.body]) for p in previews]
    for row in SandboxRequest.objects.filter(kind="vtex"):
        seen.append(json.dumps([row.path, row.headers, row.body, row.response_body, row.effect]))
    seen.append(caplog.text)
    assert len(exchanges) >= 7
    assert SandboxRequest.objects.filter(kind="vtex").count() >= 7
    assert any("X-VTEX-API-AppToken" in e.request_headers for e in exchanges)
    for text in seen:
        for secret in [*secrets, "WRONG-TOKEN-0"]:
            assert secret not in text
