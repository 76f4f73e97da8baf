"""Keep-alive sessions for the outbound HTTP client: one per thread and provider account.

A delivery used to open a new connection (and, on https, a new TLS handshake) to its provider every time; a worker
thread delivering one account's backlog now reuses the connection its previous delivery left open. A session is
never shared between threads (requests sessions are not thread-safe) nor between accounts, and its cookies are
dropped before each reuse, so a delivery sees exactly what a fresh session would, except the open connection.

A connection left idle is not trusted for long: a provider, a load balancer or a NAT on the way may drop it without
a word, and a request sent on it would then end in an uncertain outcome. Sessions idle for IDLE_SECONDS (shorter
than the usual keep-alive timeouts of servers and load balancers) are closed and replaced; so are the sessions of an
account whose address changed, once idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

IDLE_SECONDS = 15.0

_local = threading.local()


@dataclass
class _Pooled:
    session: requests.Session
    last_used: float


def pooled_session(
    key: tuple[object, ...], build: Callable[[], requests.Session], *, clock: Callable[[], float] = time.monotonic
) -> requests.Session:
    sessions: dict[tuple[object, ...], _Pooled] | None = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    now = clock()
    for stale_key in [k for k, pooled in sessions.items() if now - pooled.last_used > IDLE_SECONDS]:
        sessions.pop(stale_key).session.close()
    pooled = sessions.get(key)
    if pooled is None:
        pooled = sessions[key] = _Pooled(build(), now)
    else:
        pooled.session.cookies.clear()
        pooled.last_used = now
    return pooled.session


def close_all() -> None:
    """Close this thread's sessions (a worker thread that ends, a test that wants fresh connections)."""
    sessions: dict[tuple[object, ...], _Pooled] = getattr(_local, "sessions", None) or {}
    for pooled in sessions.values():
        pooled.session.close()
    sessions.clear()
