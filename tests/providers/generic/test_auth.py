"""Auth schemes of the generic API, per account: bearer token, API-key header, none."""

from __future__ import annotations

from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation
from providers.registry import adapter_for
from providers.sandbox import generic as sandbox
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest
from tests.providers.faults import assert_bad_credentials_are_configuration_errors

from .conftest import invoice_like_the_full_seed, seed_body

OPEN = Change(Operation.PUSH, "idem-1", to_status="open", from_status="draft")


def pushable(account: Any) -> Any:
    seed = seed_body("generic_update_full.json")
    sandbox.seed_invoice(
        seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
    )
    return invoice_data(invoice_like_the_full_seed(account))


def test_a_bearer_token_is_sent_and_accepted(generic_account: Any) -> None:
    account = generic_account()

    message = adapter_for(account).test_connection()

    assert message == "The API accepted the credentials (auth scheme bearer); an empty update was refused."
    assert SandboxRequest.objects.get(kind="generic").headers["Authorization"] == "***"


def test_a_wrong_bearer_token_is_a_configuration_error(generic_account: Any) -> None:
    account = generic_account(credentials={"token": "not-the-sandbox-token"})
    adapter = adapter_for(account)

    assert_bad_credentials_are_configuration_errors(adapter.test_connection)
    with pytest.raises(ConfigurationError) as excinfo:
        adapter.push(pushable(account), OPEN)
    assert excinfo.value.status_code == 401
    assert excinfo.value.message == "Unauthorized. Missing or invalid credentials."


def test_an_api_key_in_the_default_header_is_accepted(generic_account: Any) -> None:
    key = sandbox_credentials("generic")["api_key"]
    account = generic_account(settings={"auth_scheme": "api_key"}, credentials={"api_key": key})

    result = adapter_for(account).push(pushable(account), OPEN)

    assert result.ok
    request = SandboxRequest.objects.get(kind="generic")
    assert request.headers["X-Api-Key"] == "***"
    assert "Authorization" not in request.headers


def test_an_api_key_travels_in_the_header_the_account_names(generic_account: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sandbox, "API_KEY_HEADER", "X-Tenant-Key")
    key = sandbox_credentials("generic")["api_key"]
    account = generic_account(
        settings={"auth_scheme": "api_key", "api_key_header": "X-Tenant-Key"}, credentials={"api_key": key}
    )

    assert adapter_for(account).push(pushable(account), OPEN).ok


def test_an_api_key_in_a_header_the_api_does_not_read_is_refused(generic_account: Any) -> None:
    key = sandbox_credentials("generic")["api_key"]
    account = generic_account(
        settings={"auth_scheme": "api_key", "api_key_header": "X-Other-Key"}, credentials={"api_key": key}
    )

    assert_bad_credentials_are_configuration_errors(adapter_for(account).test_connection)


def test_no_auth_is_refused_by_an_api_that_wants_credentials(generic_account: Any) -> None:
    account = generic_account(settings={"auth_scheme": "none"}, credentials={})

    assert_bad_credentials_are_configuration_errors(adapter_for(account).test_connection)
    assert "Authorization" not in SandboxRequest.objects.get(kind="generic").headers


def test_no_auth_works_with_an_api_that_asks_for_none_as_the_seed_says(generic_account: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sandbox, "ACCEPTED_AUTH", ("none",))
    account = generic_account(settings={"auth_scheme": "none"}, credentials={})

    assert adapter_for(account).push(pushable(account), OPEN).ok


def test_a_scheme_without_its_credential_is_a_configuration_error_before_sending(
    generic_account: Any,
) -> None:
    account = generic_account(settings={"auth_scheme": "api_key"}, credentials={"token": "only-a-token"})

    with pytest.raises(ConfigurationError, match="api_key credential"):
        adapter_for(account).test_connection()
    assert not SandboxRequest.objects.filter(kind="generic").exists()


def test_an_unknown_scheme_is_a_configuration_error(generic_account: Any) -> None:
    account = generic_account(settings={"auth_scheme": "oauth"})

    with pytest.raises(ConfigurationError, match="unknown auth scheme 'oauth'"):
        adapter_for(account).test_connection()


def test_a_wrong_base_url_is_a_configuration_error(sandbox_url: str, generic_account: Any) -> None:
    account = generic_account()
    account.base_url = f"{sandbox_url}/nowhere"
    account.save()

    with pytest.raises(ConfigurationError, match="check the base URL"):
        adapter_for(account).test_connection()
