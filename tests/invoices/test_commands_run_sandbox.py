"""run_sandbox as a real process: one JSON line of connection facts, then the sandbox answers on loopback."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from providers.kinds import ProviderKind

ROOT = Path(__file__).resolve().parents[2]


def child_env(database: Path) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.test_settings"}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return env


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "run_sandbox printed nothing in time"
    return proc.stdout.readline()


def test_run_sandbox_prints_its_facts_once_and_serves_the_provider_apis(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.sqlite3"
    env = child_env(database)
    command = [sys.executable, "manage.py", "run_sandbox", "--port", "0"]

    # given: an unmigrated database is refused with a clear message
    refused = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert refused.returncode == 1
    assert "run `manage.py migrate` first" in refused.stderr
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr

    # when: it starts on a free port
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        facts: dict[str, Any] = json.loads(read_line(proc, timeout=120))

        # then: one entry per provider, on a real port, with the credentials and ids the sandbox hands out
        assert set(facts) == set(ProviderKind.values)
        generic = facts["generic"]
        base = generic["base_url"]
        assert base.startswith("http://127.0.0.1:")
        assert not base.startswith("http://127.0.0.1:0/")
        assert base.endswith("/sandbox/generic")
        for kind, entry in facts.items():
            assert entry["base_url"] == base.replace("/generic", f"/{kind}")
            assert all(entry["credentials"].values())
        assert facts["arcadier"]["identity"]["admin_id"].count("-") == 4  # a GUID

        # a request without credentials gets the provider's own refusal, in its own envelope
        url = base + "/api/v1/Invoice/Update"
        anonymous = requests.put(url, json={}, timeout=30)
        assert anonymous.status_code == 401
        assert anonymous.json()["succeeded"] is False

        # with the printed token it gets past authentication, to the API's validation of an empty update
        token = generic["credentials"]["token"]
        empty = requests.put(url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert empty.status_code == 400
        assert empty.json()["succeeded"] is False
        assert empty.json()["errors"]

        # nothing else on stdout: the JSON line is the whole of it
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert out == ""
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
