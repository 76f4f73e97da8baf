"""Real Celery worker processes for the end-to-end tests: same database and broker as the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database as a URL the worker process can open (the test DB, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.test_settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_BACKOFF_BASE_SECONDS": "0.2",
        "DELIVERY_BACKOFF_CAP_SECONDS": "1",
        "DELIVERY_RELAY_INTERVAL_SECONDS": "0.5",
        "DELIVERY_MAX_ATTEMPTS": "50",
        "DELIVERY_KICK_ON_COMMIT": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


@contextmanager
def celery_worker(tmp_path: Path, *, concurrency: int = 4, name: str = "w1") -> Iterator[Callable[[], None]]:
    """Start `celery worker` with an embedded beat (so the periodic relay runs); yields a function that kills it
    with SIGKILL, as a crash or an OOM kill would."""
    from backoffice.celery import app

    # Messages left by earlier tests only carry ids of rows that no longer exist; start from an empty queue.
    app.control.purge()
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "worker",
            "-B",
            "--scheduler",
            "celery.beat:PersistentScheduler",
            "--schedule-filename",
            str(tmp_path / f"{name}-beat-schedule"),
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def kill() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    try:
        yield kill
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "",
    report: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    detail = f" ({report()})" if report else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate.__name__}{detail}")
