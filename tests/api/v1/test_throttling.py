"""Throttles: requests per API client and per staff user, and failed token lookups per client IP; over the
limit, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from .helpers import error_of, url, with_token


@pytest.fixture
def rates(settings: Any) -> Callable[..., None]:
    def set_rates(**rates: str | None) -> None:
        defaults = {"api_client": None, "staff_user": None, "auth_failure": None}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**defaults, **rates}}

    return set_rates


def test_a_client_over_its_rate_gets_429_with_retry_after(
    rates: Callable[..., None], operator: Any, issue_api_client: Any, account_a: Any
) -> None:
    rates(api_client="3/min")
    api = with_token(operator.token)

    statuses = [api.get(url("invoices")).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = api.get(url("invoices"))
    error = error_of(response)
    assert error["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    # another client is counted on its own
    assert with_token(issue_api_client(account_a).token).get(url("invoices")).status_code == 200


def test_a_staff_user_over_their_rate_gets_429(rates: Callable[..., None], staff: Callable[[str], APIClient]) -> None:
    rates(staff_user="2/min")
    client = staff("viewer")

    assert [client.get(url("invoices")).status_code for _ in range(3)] == [200, 200, 429]
    assert staff("viewer").get(url("invoices")).status_code == 200


def test_failed_token_lookups_are_throttled_per_ip_even_for_a_right_token_afterwards(
    rates: Callable[..., None], operator: Any
) -> None:
    rates(auth_failure="3/min")
    guesser = with_token("guess", REMOTE_ADDR="203.0.113.9")

    statuses = [guesser.get(url("invoices")).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    response = with_token(operator.token, REMOTE_ADDR="203.0.113.9").get(url("invoices"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "failed authentication" in error_of(response)["message"]
    # another address is not held back, and X-Forwarded-For cannot pose as one (no trusted proxy configured)
    assert with_token(operator.token, REMOTE_ADDR="198.51.100.1").get(url("invoices")).status_code == 200
    spoofed = with_token(operator.token, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert spoofed.get(url("invoices")).status_code == 429


def test_successful_lookups_do_not_count_as_failures(rates: Callable[..., None], operator: Any) -> None:
    rates(auth_failure="2/min")
    api = with_token(operator.token)

    assert {api.get(url("invoices")).status_code for _ in range(5)} == {200}


def test_rates_come_from_the_environment_and_off_switches_a_throttle_off(monkeypatch: Any) -> None:
    import importlib

    from backoffice import settings as settings_module

    monkeypatch.setenv("API_THROTTLE_CLIENT_RATE", "7/hour")
    monkeypatch.setenv("API_THROTTLE_AUTH_FAILURE_RATE", "off")
    reloaded = importlib.reload(settings_module)
    try:
        rates = reloaded.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        assert rates["api_client"] == "7/hour"
        assert rates["auth_failure"] is None
        assert rates["staff_user"] == "600/min"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
