"""check_providers: one line per account against the real sandbox over loopback, never a secret."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from providers.sandbox.credentials import sandbox_credentials
from tests.factories import ProviderAccountFactory


def run(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("check_providers", *args, stdout=out, no_color=True)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_an_account_the_sandbox_accepts_is_ok(sandbox_account: Any) -> None:
    sandbox_account("generic", name="generic-demo")

    out, error = run()

    assert error is None
    assert out.splitlines()[0].startswith("ok     generic-demo (generic, ")
    assert "1 of 1 provider account(s) reachable, 0 failed." in out


def test_failures_are_reported_per_account_with_exit_code_one_and_no_secret(sandbox_account: Any) -> None:
    sandbox_account("generic", name="a-good")
    wrong = {"token": "wrong-token-0123456789abcdef", "api_key": "wrong-key-0123456789abcdef"}
    sandbox_account("generic", name="b-wrong-token", credentials=wrong)
    ProviderAccountFactory(kind="generic", name="c-nobody-listens", base_url="http://127.0.0.1:9/sandbox/generic")
    ProviderAccountFactory(kind="generic", name="d-disabled", enabled=False)

    out, error = run()

    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["ok", "error", "error"]
    assert "b-wrong-token" in lines[1]
    assert "c-nobody-listens" in lines[2]
    assert "Error" in lines[1]
    assert "Error" in lines[2]
    assert "d-disabled" not in out
    assert "1 of 3 provider account(s) reachable, 2 failed." in out
    assert error is not None
    assert error.returncode == 1
    secrets = [*wrong.values(), *sandbox_credentials("generic").values()]
    assert not any(secret in out or secret in str(error) for secret in secrets)


def test_one_account_can_be_checked_by_name_even_when_disabled(sandbox_account: Any) -> None:
    sandbox_account("generic", name="paused-one", enabled=False)
    sandbox_account("generic", name="other")

    out, error = run("--account", "paused-one")

    assert error is None
    assert "paused-one" in out
    assert "other" not in out


@pytest.mark.django_db
def test_an_unknown_account_is_a_usage_error() -> None:
    _out, error = run("--account", "nope")

    assert error is not None
    assert error.returncode == 2
    assert "No provider account named 'nope'" in str(error)


@pytest.mark.django_db
def test_no_enabled_accounts_is_said_plainly() -> None:
    ProviderAccountFactory(kind="generic", name="off", enabled=False)

    out, error = run()

    assert error is None
    assert out.strip() == "No enabled provider accounts to check."
