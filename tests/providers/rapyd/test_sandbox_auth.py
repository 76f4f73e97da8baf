"""The Rapyd sandbox enforces Rapyd's request signatures exactly, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from providers.sandbox import rapyd as emulator
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest

from .helpers import compact

pytestmark = pytest.mark.usefixtures("rapyd_account")

Raw = Callable[..., requests.Response]


def assert_unauthenticated(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 401
    envelope = response.json()
    assert set(envelope) == {"status"}, "an error envelope carries no data"
    status = envelope["status"]
    assert status["status"] == "ERROR"
    assert status["error_code"] == status["response_code"] == "UNAUTHENTICATED_API_CALL"
    assert status["operation_id"]
    return status


def test_a_request_signed_the_documented_way_is_accepted(raw: Raw) -> None:
    response = raw("GET", "/v1/invoices?limit=1")

    assert response.status_code == 200, response.text
    assert response.json()["status"]["status"] == "SUCCESS"


def test_changing_one_byte_of_the_body_after_signing_is_refused(raw: Raw) -> None:
    # given a draft, and an update body signed as {"description":"A"} but sent as {"description":"B"}
    draft = emulator.seed_invoice()
    signed = compact({"description": "A"})

    # when
    response = raw("POST", f"/v1/invoices/{draft['id']}", compact({"description": "B"}), sign_body=signed)

    # then
    assert_unauthenticated(response)
    assert emulator.stored_invoice(draft["id"])["description"] == ""  # type: ignore[index]


def test_the_query_string_is_part_of_the_signed_path(raw: Raw) -> None:
    response = raw("GET", "/v1/invoices?limit=1", sign_path="/v1/invoices")

    assert_unauthenticated(response)


def test_the_signed_path_starts_at_v1_not_at_the_sandbox_prefix(raw: Raw) -> None:
    response = raw("GET", "/v1/invoices", sign_path="/sandbox/rapyd/v1/invoices")

    assert_unauthenticated(response)


def test_a_wrong_secret_key_is_refused(raw: Raw) -> None:
    credentials = {**sandbox_credentials("rapyd"), "secret_key": "rsk_not-the-right-one"}

    assert_unauthenticated(raw("GET", "/v1/invoices", credentials=credentials))


def test_an_unknown_access_key_is_refused(raw: Raw) -> None:
    credentials = {**sandbox_credentials("rapyd"), "access_key": "rak_SOMEONEELSE"}

    status = assert_unauthenticated(raw("GET", "/v1/invoices", credentials=credentials))
    assert "access key" in status["message"]


@pytest.mark.parametrize("offset", [-61, 61, -3600])
def test_a_timestamp_more_than_60_seconds_off_is_refused(raw: Raw, offset: int) -> None:
    response = raw("GET", "/v1/invoices", timestamp=int(time.time()) + offset)

    status = assert_unauthenticated(response)
    assert "timestamp" in status["message"]


def test_a_timestamp_within_60_seconds_is_accepted(raw: Raw) -> None:
    assert raw("GET", "/v1/invoices", timestamp=int(time.time()) - 50).status_code == 200


def test_a_salt_used_again_within_the_window_is_refused_as_a_replay(raw: Raw) -> None:
    assert raw("GET", "/v1/invoices", salt="s4ltS4ltS4lt").status_code == 200

    status = assert_unauthenticated(raw("GET", "/v1/invoices", salt="s4ltS4ltS4lt"))
    assert "salt" in status["message"]


@pytest.mark.parametrize("salt", ["short", "x" * 17])
def test_a_salt_outside_8_to_16_characters_is_refused(raw: Raw, salt: str) -> None:
    assert_unauthenticated(raw("GET", "/v1/invoices", salt=salt))


@pytest.mark.parametrize("missing", ["access_key", "salt", "timestamp", "signature"])
def test_a_request_missing_an_auth_header_is_refused(sandbox_url: str, missing: str) -> None:
    headers = {
        "access_key": "rak_x",
        "salt": "abcdefgh",
        "timestamp": str(int(time.time())),
        "signature": "x",
    }
    del headers[missing]

    assert_unauthenticated(requests.get(f"{sandbox_url}/rapyd/v1/invoices", headers=headers, timeout=5))


def test_the_access_key_spelled_with_a_dash_is_not_taken_for_rapyds_header(raw: Raw) -> None:
    # `access-key` and `access_key` meet in one WSGI variable; only Rapyd's own spelling may reach it.
    key = sandbox_credentials("rapyd")["access_key"]

    response = raw("GET", "/v1/invoices", headers={"access_key": None, "access-key": key})

    assert_unauthenticated(response)


def test_more_requests_than_the_rate_limit_are_answered_429(raw: Raw, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emulator, "RATE_LIMIT_PER_MINUTE", 2)

    answers = [raw("GET", "/v1/invoices") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    status = answers[2].json()["status"]
    assert status["status"] == "ERROR"
    assert status["error_code"] == status["response_code"]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60


def test_the_sandbox_log_keeps_no_credential(raw: Raw) -> None:
    credentials = sandbox_credentials("rapyd")
    raw("GET", "/v1/invoices")
    raw("GET", "/v1/invoices", credentials={**credentials, "secret_key": "rsk_wrong-secret-value"})

    logged = " ".join(
        f"{r.path} {r.headers} {r.body} {r.response_body}" for r in SandboxRequest.objects.filter(kind="rapyd")
    )
    assert SandboxRequest.objects.filter(kind="rapyd").count() == 2
    for secret in (*credentials.values(), "rsk_wrong-secret-value"):
        assert secret not in logged
