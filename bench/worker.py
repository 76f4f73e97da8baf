"""The product's Celery app, started by the push benchmark as `celery -A bench.worker worker …`, plus a probe: it
counts the database queries the worker process runs and keeps the running count, with the moment the worker
became ready, in BENCH_PROBE_FILE (rewritten every 50 ms), so the benchmark reads how many ran during its
measured window. Nothing else differs from
`celery -A backoffice worker`."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.db.backends.signals import connection_created

from backoffice.celery import app

__all__ = ["app"]

_lock = threading.Lock()
_queries = [0]
_ready_at = [0.0]


def _count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    with _lock:
        _queries[0] += 1
    return execute(sql, params, many, context)


def _watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


connection_created.connect(_watch)


def _dump() -> None:
    path = os.environ.get("BENCH_PROBE_FILE")
    if path:
        with open(path + ".tmp", "w") as out:
            json.dump({"queries": _queries[0], "ready_at": _ready_at[0]}, out)
        os.replace(path + ".tmp", path)


def _keep_dumping() -> None:
    while True:
        _dump()
        time.sleep(0.05)


@worker_ready.connect
def _start(**kwargs: Any) -> None:
    _ready_at[0] = time.time()
    threading.Thread(target=_keep_dumping, name="bench-probe", daemon=True).start()


@worker_shutdown.connect
def _last(**kwargs: Any) -> None:
    _dump()
