"""Keep-alive sessions: one per thread and account, cookies dropped on reuse, idle ones closed and replaced."""

from __future__ import annotations

import threading

import requests

from providers import pool


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Built:
    """Builds sessions and remembers which were closed."""

    def __init__(self) -> None:
        self.sessions: list[requests.Session] = []
        self.closed: list[requests.Session] = []

    def __call__(self) -> requests.Session:
        session = requests.Session()
        original = session.close

        def close() -> None:
            self.closed.append(session)
            original()

        session.close = close  # type: ignore[method-assign]
        self.sessions.append(session)
        return session


def test_one_session_per_account_reused_with_its_cookies_dropped() -> None:
    pool.close_all()
    built, clock = Built(), Clock()

    first = pool.pooled_session((1, "https://a.example"), built, clock=clock)
    first.cookies.set("sid", "from-the-last-delivery")
    again = pool.pooled_session((1, "https://a.example"), built, clock=clock)
    other = pool.pooled_session((2, "https://a.example"), built, clock=clock)

    assert again is first
    assert len(again.cookies) == 0
    assert other is not first
    assert len(built.sessions) == 2
    pool.close_all()
    assert set(map(id, built.closed)) == set(map(id, built.sessions))


def test_threads_never_share_a_session() -> None:
    # given a session this thread holds for the account
    pool.close_all()
    built = Built()
    mine = pool.pooled_session((1, "https://a.example"), built)
    holding = threading.Barrier(3)
    seen: list[requests.Session] = []

    def deliver() -> None:
        seen.append(pool.pooled_session((1, "https://a.example"), built))
        holding.wait(timeout=10)  # all three hold theirs at the same time
        pool.close_all()

    # when three other threads deliver for the same account at once
    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then each had a session of its own, and none had this thread's
    assert len({id(session) for session in seen}) == 3
    assert all(session is not mine for session in seen)
    assert pool.pooled_session((1, "https://a.example"), built) is mine
    pool.close_all()


def test_an_idle_session_is_closed_and_replaced_and_so_is_an_old_address() -> None:
    pool.close_all()
    built, clock = Built(), Clock()
    first = pool.pooled_session((1, "https://old.example"), built, clock=clock)
    clock.now += pool.IDLE_SECONDS / 2
    assert pool.pooled_session((1, "https://old.example"), built, clock=clock) is first

    # when the account moves to a new address and the old one sits idle past the limit
    moved = pool.pooled_session((1, "https://new.example"), built, clock=clock)
    clock.now += pool.IDLE_SECONDS + 1
    fresh = pool.pooled_session((1, "https://new.example"), built, clock=clock)

    assert fresh is not moved
    assert first in built.closed
    assert moved in built.closed
    assert fresh not in built.closed
    pool.close_all()
