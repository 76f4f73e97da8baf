"""The project's own setup: the documented configuration, the run and test scripts, CI."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("scripts/run.sh", "scripts/test.sh", "scripts/lib.sh", ".ci/run")
ENV_READ = re.compile(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"")
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_variables() -> set[str]:
    return set(ENV_READ.findall((ROOT / "backoffice" / "settings.py").read_text()))


def documented_variables() -> set[str]:
    return set(ENV_LINE.findall((ROOT / ".env.example").read_text()))


def bash(
    script: str, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script, "bash", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_env_example_documents_every_variable_the_settings_read() -> None:
    read = settings_variables()

    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS", "CELERY_BROKER_URL"} <= read
    assert read - documented_variables() == set(), "add these to .env.example"
    assert documented_variables() - read == set(), "these are documented but never read"


def test_env_example_explains_each_variable_and_shows_production_values() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        match = ENV_LINE.match(line)
        if match and not line.startswith("#"):
            # the explanation sits above the variable, or above the group of variables it belongs to
            above = index - 1
            while above > 0 and ENV_LINE.match(lines[above]):
                above -= 1
            assert lines[above].startswith("# "), f"{match.group(1)} has no explanation above it"
    text = "\n".join(lines)
    for production in ("postgres://", "redis://", "smtp+tls://", "https://api.rapyd.net"):
        assert production in text


@pytest.mark.parametrize("path", SCRIPTS)
def test_scripts_are_valid_bash_and_stop_at_the_first_error(path: str) -> None:
    script = ROOT / path
    text = script.read_text()

    assert bash(f"bash -n {path}").returncode == 0
    if path != "scripts/lib.sh":  # sourced, not run
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "set -euo pipefail" in text
        assert script.stat().st_mode & stat.S_IXUSR


def test_ci_runs_lint_types_and_the_test_script_on_sqlite_and_on_postgresql_and_redis() -> None:
    text = (ROOT / ".ci" / "run").read_text()

    for step in ('ruff" check --output-format concise .', 'ruff" format --check --output-format concise .'):
        assert step in text
    assert 'mypy" .' in text
    assert text.count("./scripts/test.sh") == 2
    assert 'DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/backoffice"' in text
    assert 'CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"' in text
    assert "trap cleanup EXIT" in text
    # Both suites' exit statuses reach the final verdict (each is a check of its own).
    assert 'check "Tests on SQLite with the filesystem broker" sh -c' in text
    assert "exit $sqlite_status" in text
    assert 'check "Tests on PostgreSQL 15 with the Redis broker" sh -c' in text
    assert "exit $postgres_status" in text


def test_the_first_run_writes_a_private_env_file_with_fresh_secrets_and_later_runs_keep_it(
    tmp_path: Path,
) -> None:
    venv = {"VENV_DIR": str(Path(sys.executable).parent.parent)}
    first, second = tmp_path / "one.env", tmp_path / "two.env"

    for target in (first, second, first):
        result = bash('source scripts/lib.sh && ensure_env_file "$1"', str(target), env=venv)
        assert result.returncode == 0, result.stderr
    written = first.read_text()
    values = dict(line.split("=", 1) for line in written.splitlines() if line and not line.startswith("#"))

    assert values["DEBUG"] == "true"
    assert len(values["SECRET_KEY"]) >= 50
    Fernet(values["FIELD_ENCRYPTION_KEYS"].encode())  # a valid key, or this raises
    assert len(values["DEMO_ADMIN_PASSWORD"]) >= 12
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert values["SECRET_KEY"] not in second.read_text()
    assert values["FIELD_ENCRYPTION_KEYS"] not in second.read_text()
    assert first.read_text() == written  # the third call left the first file alone
    # the settings start with exactly these values (DEBUG on, the keys as written)
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, **values, "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def write_tests(folder: Path, body: str) -> Path:
    path = folder / "test_sample.py"
    path.write_text(body)
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("def test_ok():\n    assert 1 + 1 == 2\n", 0),
        ("def test_broken():\n    assert 1 + 1 == 3\n", 1),
        ("def helper():\n    return 1\n", 1),  # no tests at all: pytest says 5, the script fails
    ],
)
def test_the_test_script_passes_arguments_to_pytest_and_fails_on_failures_or_no_tests(
    tmp_path: Path, body: str, expected: int
) -> None:
    sample = write_tests(tmp_path, body)

    result = bash(
        './scripts/test.sh "$1" -q -p no:cacheprovider -p no:django',
        str(sample),
        env={"TEST_SKIP_SETUP": "1"},
    )

    assert result.returncode == expected, result.stdout + result.stderr
    if body.startswith("def helper"):
        assert "collected no tests" in result.stderr
