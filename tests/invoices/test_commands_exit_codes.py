"""The operator commands as an operator runs them: real processes, their exit codes and what they print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.db import connection

from invoices.models import ApiClient
from tests.factories import ProviderAccountFactory

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("create_api_client", "rotate_encryption_keys", "check_providers", "seed_demo", "run_sandbox")


def app_of(command: str) -> str:
    return get_commands()[command]


def database_url() -> str:
    """The test database, for a child process (pytest-django has already switched the connection to it)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    user = quote(s["USER"] or "", safe="")
    return f"postgres://{user}{password}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.test_settings", **(env or {})}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str) -> None:
    parser = load_command_class(app_of(command), command).create_parser("manage.py", command)

    help_text = parser.format_help()

    assert help_text.startswith(f"usage: manage.py {command}")
    assert len(help_text.split("\n\n")[1].strip()) > 40  # a real description, not just the usage line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create_api_client", "erp", "--role", "superuser"), "invalid choice: 'superuser'"),
        (("seed_demo", "--invoices", "many"), "invalid int value"),
        (("run_sandbox", "--port", "eighty"), "invalid int value"),
        (("check_providers", "--bogus"), "unrecognized arguments"),
        (("rotate_encryption_keys", "--batch-size"), "expected one argument"),
    ],
)
def test_malformed_arguments_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(*args)


def test_malformed_arguments_exit_two_from_the_command_line() -> None:
    result = manage("create_api_client", "erp", "--role", "superuser")

    assert result.returncode == 2
    assert "invalid choice: 'superuser'" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_create_api_client_prints_json_on_stdout_and_exits_zero() -> None:
    ProviderAccountFactory(name="shop")

    result = manage("create_api_client", "erp", "--account", "shop", "--json", env={"DATABASE_URL": database_url()})

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    data = json.loads(result.stdout)
    assert ApiClient.objects.get(pk=data["id"]).check_token(data["token"])


@pytest.mark.django_db(transaction=True)
def test_create_api_client_with_an_unknown_account_exits_one() -> None:
    result = manage("create_api_client", "erp", "--account", "nowhere", env={"DATABASE_URL": database_url()})

    assert result.returncode == 1
    assert "No provider account named or numbered 'nowhere'" in result.stderr
    assert not ApiClient.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_check_providers_exit_codes() -> None:
    db = {"DATABASE_URL": database_url()}
    ProviderAccountFactory(kind="generic", name="nobody-listens", base_url="http://127.0.0.1:9/sandbox/generic")

    failing = manage("check_providers", env=db)
    unknown = manage("check_providers", "--account", "nope", env=db)

    assert failing.returncode == 1
    assert "error  nobody-listens" in failing.stdout
    assert "0 of 1 provider account(s) reachable" in failing.stdout
    assert unknown.returncode == 2
    assert "No provider account named 'nope'" in unknown.stderr


@pytest.mark.django_db(transaction=True)
def test_rotate_encryption_keys_exits_one_when_a_value_cannot_be_decrypted() -> None:
    db = {"DATABASE_URL": database_url()}
    ProviderAccountFactory(kind="rapyd", name="readable")

    ok = manage("rotate_encryption_keys", env=db)
    ProviderAccountFactory(kind="rapyd", name="unreadable")
    from cryptography.fernet import Fernet

    other_key = manage("rotate_encryption_keys", env={**db, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode()})

    assert ok.returncode == 0
    assert "Re-encrypted 1 provider account credential set(s)" in ok.stdout
    assert other_key.returncode == 1
    assert "'readable'" in other_key.stderr
    assert "'unreadable'" in other_key.stderr
