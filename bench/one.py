"""Run one benchmark in this process, on a database of its own: `python -m bench.one B1 --size small --out F`.

The runner starts one of these per benchmark, so that each builds exactly the data it measures and none inherits
another's memory, connections or rows."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.one")
    parser.add_argument("key", choices=["B1", "B2", "B3", "B4"])
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log-dir", type=Path, required=True)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args(argv)

    from .database import own_database

    started = time.perf_counter()
    with own_database(keep=args.keep_db) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections

        from .context import Context
        from .sizes import SIZES

        call_command("migrate", verbosity=0)
        broker = os.environ.get("CELERY_BROKER_URL", "filesystem://").split(":", 1)[0]
        ctx = Context(
            size=with_overrides(SIZES[args.size], args.set),
            env=dict(os.environ),
            log_dir=args.log_dir,
            database=database_version(connection),
            broker=broker,
        )
        module = __import__(f"bench.{MODULES[args.key]}", fromlist=["run"])
        try:
            table = module.run(ctx)
        finally:
            connections.close_all()
    result = {"table": table.as_dict(), "database": ctx.database, "seconds": time.perf_counter() - started}
    args.out.write_text(json.dumps(result, default=str))
    return 0


def with_overrides(size: Any, items: list[str]) -> Any:
    changes = {}
    for item in items:
        name, _, value = item.partition("=")
        current = getattr(size, name)  # AttributeError names an unknown parameter
        changes[name] = type(current)(value)
    return replace(size, **changes)


MODULES = {"B1": "b1_push", "B2": "b2_mirrors", "B3": "b3_scale", "B4": "b4_memory"}


def database_version(connection: object) -> str:
    vendor = getattr(connection, "vendor", "")
    if vendor == "postgresql":
        number = getattr(connection, "pg_version", 0)
        return f"PostgreSQL {number // 10000}.{number % 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


if __name__ == "__main__":
    sys.exit(main())
