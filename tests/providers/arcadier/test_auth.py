"""Arcadier's auth: an admin token by client credentials, cached with its admin, renewed before expiry and
once on a 401; wrong credentials are a configuration error."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from invoices.selectors import invoice_data
from providers.base import ConfigurationError, ProviderAdapter
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox.arcadier import admin_id, issue_token
from providers.sandbox.credentials import sandbox_credentials
from tests.providers.arcadier.support import calls, checked_out, guid, push
from tests.providers.faults import assert_bad_credentials_are_configuration_errors

DENIED = "Authorization has been denied for this request."


def token_form(**overrides: str) -> dict[str, str]:
    credentials = sandbox_credentials("arcadier")
    return {
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "grant_type": "client_credentials",
        "scope": "admin",
        **overrides,
    }


def test_the_token_endpoint_answers_like_arcadier(account: ProviderAccount) -> None:
    response = requests.post(f"{account.base_url}/token", data=token_form(), timeout=5)

    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"access_token", "token_type", "expires_in", "refresh_token", "UserId"}
    assert (answer["token_type"], answer["expires_in"], answer["UserId"]) == ("bearer", 10799, admin_id())


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (token_form(client_secret="wrong-secret"), "invalid_client"),
        (token_form(client_id="someone-else"), "invalid_client"),
        (token_form(grant_type="password"), "unsupported_grant_type"),
        (token_form(scope="merchant"), "invalid_scope"),
    ],
)
def test_the_token_endpoint_refuses_oauth_style(account: ProviderAccount, form: dict[str, str], error: str) -> None:
    response = requests.post(f"{account.base_url}/token", data=form, timeout=5)

    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_the_token_endpoint_reads_only_a_form_body(account: ProviderAccount) -> None:
    response = requests.post(f"{account.base_url}/token", json=token_form(), timeout=5)

    assert response.json() == {"error": "invalid_client"}


def test_wrong_credentials_are_a_configuration_error(sandbox_account: Any) -> None:
    account = sandbox_account("arcadier", credentials={"client_id": "nobody", "client_secret": "wrong-secret"})
    adapter = adapter_for(account)

    with pytest.raises(ConfigurationError) as excinfo:
        adapter.test_connection()

    assert excinfo.value.provider_code == "invalid_client"
    assert excinfo.value.status_code == 400
    assert "invalid_client" in str(excinfo.value)
    invoice = checked_out(account)
    assert_bad_credentials_are_configuration_errors(lambda: adapter.push(invoice_data(invoice), push("open")))


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc", "Bearer "])
def test_calls_without_a_live_bearer_are_refused(account: ProviderAccount, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.get(f"{account.base_url}/api/v2/admins/{admin_id()}/transactions/AR-1", headers=headers)

    assert response.status_code == 401
    assert response.json()["Message"] == DENIED


def test_an_expired_token_is_refused(account: ProviderAccount) -> None:
    expired = issue_token(expires_in=-1)["access_token"]

    response = requests.post(
        f"{account.base_url}/api/v2/emails",
        json={"Type": "invoice", "InvoiceNo": "AR-1"},
        headers={"Authorization": f"Bearer {expired}"},
        timeout=5,
    )

    assert (response.status_code, response.json()["Message"]) == (401, DENIED)


def test_one_token_serves_every_call_until_it_nears_expiry(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account)
    data = invoice_data(invoice)

    adapter.push(data, push("open"))
    adapter.fetch_remote(data)
    adapter_for(account).fetch_remote(data)  # another adapter of the same account reads the shared cache

    assert [path for _, path, _ in calls()].count("/token") == 1


def test_a_token_within_a_minute_of_expiry_is_renewed_before_use(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account)
    live = issue_token()["access_token"]
    adapter.tokens.put(f"{admin_id()}|{live}", 59)

    adapter.push(invoice_data(invoice), push("open"))

    assert [(method, path) for method, path, _ in calls()] == [
        ("POST", "/token"),
        ("PUT", f"/api/v2/admins/{admin_id()}/invoices/{invoice.remote_number}"),
    ]


def test_a_token_arcadier_no_longer_accepts_is_renewed_once_on_a_401(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    # given a token we believe fresh but Arcadier has already expired
    invoice = checked_out(account)
    dead = issue_token(expires_in=-1)["access_token"]
    adapter.tokens.put(f"{admin_id()}|{dead}", 3600)

    # when
    result = adapter.push(invoice_data(invoice), push("paid"))

    # then
    assert result.status == "paid"
    assert [status for _, _, status in calls()] == [401, 200, 200]
    assert [e.status_code for e in result.exchanges] == [401, 200, 200]
    cached = adapter.tokens.get()
    assert cached is not None
    assert dead not in cached.value


def test_a_token_for_another_admin_is_a_configuration_error(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account)
    other_admin = guid()
    adapter.tokens.put(f"{other_admin}|{issue_token()['access_token']}", 3600)

    with pytest.raises(ConfigurationError) as excinfo:
        adapter.fetch_remote(invoice_data(invoice))

    assert excinfo.value.status_code == 403
    assert excinfo.value.message == f"The token does not belong to admin {other_admin}."
