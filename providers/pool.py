"""Keep-alive sessions for the outbound HTTP client: one per thread and provider account.

A delivery used to open a new connection (and, on https, a new TLS handshake) to its provider every time; a worker
thread delivering one account's backlog now reuses the connection its previous delivery left open. A session is
never shared between threads (requests sessions are not thread-safe) nor between accounts, and its cookies are
dropped before each reuse, so a delivery sees exactly what a fresh session would, except the open connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests

_local = threading.local()


def pooled_session(key: tuple[object, ...], build: Callable[[], requests.Session]) -> requests.Session:
    sessions: dict[tuple[object, ...], requests.Session] | None = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    session = sessions.get(key)
    if session is None:
        session = sessions[key] = build()
    else:
        session.cookies.clear()
    return session
