"""A database of the run's own: a fresh PostgreSQL database next to the one DATABASE_URL names (dropped at the
end), or a fresh SQLite file under var/bench/ when DATABASE_URL is unset (the embedded setup)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .procs import ROOT

BENCH_DIR = ROOT / "var" / "bench"


@contextmanager
def own_database(keep: bool = False) -> Iterator[str]:
    """Yields the URL of an empty database for this run."""
    configured = os.environ.get("DATABASE_URL", "")
    name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if not configured or configured.startswith("sqlite"):
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"{name}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            if not keep:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    parts = urlsplit(configured)
    server = urlunsplit(parts._replace(path="/postgres"))
    _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if not keep:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(server_url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(server_url)
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(statement.encode())
