"""VTEX's app key and token, and how each sandbox fault maps to our error classes."""

from __future__ import annotations

import pytest

from providers.base import ConfigurationError, TemporaryError
from providers.registry import adapter_for
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest
from providers.sandbox.vtex import readonly_credentials
from tests.factories import ProviderAccountFactory
from tests.providers.faults import FAULT_EXPECTATIONS, assert_fault_maps, effects, script_faults

from .helpers import SEND, call, vtex_headers


def test_the_connection_test_passes_with_the_sandbox_credentials(adapter):
    assert adapter.test_connection() == "VTEX accepted the app key and token: the orders list is readable."


@pytest.mark.parametrize("which", ["app_key", "app_token"])
def test_a_wrong_key_or_token_is_a_configuration_error_with_vtexs_message(sandbox_account, order, sale, which):
    credentials = {**sandbox_credentials("vtex"), which: "not-the-right-value"}
    wrong = adapter_for(sandbox_account("vtex", credentials=credentials))

    with pytest.raises(ConfigurationError) as refused:
        wrong.test_connection()
    with pytest.raises(ConfigurationError):
        wrong.push(sale(), SEND)

    assert refused.value.status_code == 401
    assert refused.value.message == "Unauthorized: the application key or token is not valid."
    assert refused.value.provider_code == "1"


def test_an_account_without_credentials_is_refused_before_sending(sandbox_account, order, sale):
    bare = adapter_for(sandbox_account("vtex", credentials={}))

    with pytest.raises(ConfigurationError, match="needs the account's app key and app token"):
        bare.push(sale(), SEND)


def test_a_key_without_the_notify_invoice_resource_can_read_but_not_invoice(sandbox_account, order, sale):
    reader = adapter_for(sandbox_account("vtex", credentials=readonly_credentials()))
    invoice = sale()

    reader.test_connection()
    with pytest.raises(ConfigurationError) as refused:
        reader.push(invoice, SEND)

    assert refused.value.status_code == 403
    assert "lacks the OMS resource 'Notify invoice'" in refused.value.message
    assert effects("vtex") == []


def test_a_request_without_the_vtex_headers_is_401_in_vtexs_error_shape(vtex_account, order):
    headers = {k: v for k, v in vtex_headers().items() if not k.startswith("X-VTEX")}

    answer = call(vtex_account, "GET", "/api/oms/pvt/orders/1172452900788-01", headers=headers)

    assert answer.status_code == 401
    assert answer.json() == {
        "error": {
            "code": "1",
            "message": "Unauthorized: send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers.",
            "exception": None,
        }
    }


def test_a_base_url_without_the_vtex_api_is_a_configuration_error(vtex_account, sandbox_url):
    lost = adapter_for(
        ProviderAccountFactory(
            kind="vtex", base_url=f"{sandbox_url}/vtex/nowhere", credentials=sandbox_credentials("vtex")
        )
    )

    with pytest.raises(ConfigurationError, match="check the base URL"):
        lost.test_connection()


@pytest.mark.parametrize("fault", ["5xx", "503", "429", "drop", "timeout", "malformed"])
def test_each_fault_maps_to_a_temporary_error(sandbox_account, order, sale, fault):
    # given a client that gives up after 1 s, before the sandbox's scripted slow answer
    impatient = adapter_for(sandbox_account("vtex", read_timeout=1))
    invoice = sale()

    # when / then
    error = assert_fault_maps("vtex", fault, lambda: impatient.push(invoice, SEND))

    _error_class, _uncertain, applied = FAULT_EXPECTATIONS[fault]
    assert bool(effects("vtex")) is applied
    if fault in ("5xx", "503"):
        assert error.message == "Sandbox fault"
        assert error.status_code == (500 if fault == "5xx" else 503)


def test_a_read_survives_one_dropped_connection_but_a_write_does_not(adapter, order, sale):
    # Reads change nothing, so the client resends them; a write goes back to the relay, uncertain.
    invoice = sale()

    script_faults("vtex", ["drop"])
    remote = adapter.fetch_remote(invoice)
    script_faults("vtex", ["drop"])
    with pytest.raises(TemporaryError) as dropped:
        adapter.push(invoice, SEND)

    assert remote.remote_status == "ready-for-handling"
    assert dropped.value.uncertain
    assert SandboxRequest.objects.filter(kind="vtex", fault="drop").count() == 2
