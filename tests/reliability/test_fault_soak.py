"""Fault soak: many deliveries through real Celery workers to the generic API's sandbox while it fails a fifth of the
requests with 500, lets one in twenty time out after applying the update, throttles in bursts (429 with
Retry-After), and one worker is killed with SIGKILL mid-run, then restarted beside a second one.

Every delivery must end delivered, each update applied at the provider exactly once (the sandbox's request log
records each state change it applied), none lost, none left pending or in flight; and the faults must really have
happened (each class is counted in the sandbox's log). The interesting case is the timeout after the effect: the
answer is lost, the delivery is uncertain, the generic API has no read endpoint, so the relay sends it again; the
repeat must change nothing.

SOAK_DELIVERIES sets the size (CI runs the default; the README reports a run of 5 000). `-s` shows one line of
figures.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings

from invoices.models import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, Invoice, SyncState
from providers.sandbox.models import SandboxFault, SandboxObject, SandboxRequest
from tests.e2e.test_worker_delivery import (
    assert_each_effect_applied_once,
    delivered,
    delivery_states,
    open_all,
    seeded_invoices,
)
from tests.e2e.workers import celery_worker, wait_until
from tests.providers.faults import effects

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELIVERIES = int(os.environ.get("SOAK_DELIVERIES", "500"))
READ_TIMEOUT_S = 1.0  # the account's read timeout
TIMEOUT_FAULT_S = 1.5  # a "timeout" is answered this late: after the client gave up, the update already applied
FAULTS = {"error_rate": 0.2, "timeout_rate": 0.05, "timeout_s": TIMEOUT_FAULT_S, "retry_after_s": 1}
BURST_EVERY = 100  # deliveries between two throttling bursts
BURST_LENGTH = 10  # requests answered 429 in a row by each burst
CHUNK = 50  # invoices opened at a time


@dataclass
class ThrottleBursts:
    """Throttling in bursts: a run of 429s queued at the sandbox now and then as the deliveries progress."""

    every: int
    length: int
    next_at: int = 0
    count: int = 0

    def step(self, done: int) -> None:
        if done < self.next_at:
            return
        with transaction.atomic():
            row = SandboxFault.objects.select_for_update().get(kind="generic")
            row.next_faults = [*row.next_faults, *["429"] * self.length]
            row.save(update_fields=["next_faults"])
        self.count += 1
        self.next_at = done + self.every


def sending() -> int:
    return Delivery.objects.filter(state=DeliveryState.SENDING).count()


def killing_time() -> bool:
    # Two or more in flight, so that some are still in flight a moment later, when the kill lands.
    return delivered() >= DELIVERIES // 3 and sending() >= 2


def drive(bursts: ThrottleBursts, until: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Wait for `until`, throttling in bursts meanwhile."""

    def progressed() -> bool:
        bursts.step(delivered())
        return until()

    wait_until(progressed, timeout=timeout, interval=0.25, what=what, report=delivery_states)


def resent_without_effect(timeouts_after_effect: list[tuple[int, str]]) -> int:
    """How many of the updates whose answer was lost (timeout after the effect) were sent again and answered
    200 with no change: the relay's retry of an uncertain outcome, applied once."""
    answered: dict[str, list[tuple[int, str]]] = defaultdict(list)  # remote id -> (request id, effect)
    rows = SandboxRequest.objects.filter(kind="generic", status_code=200, fault="")
    for pk, body, effect in rows.values_list("id", "body", "effect").iterator():
        answered[str(json.loads(body)["id"]).lower()].append((pk, effect))
    return sum(
        any(pk > lost_pk and not effect for pk, effect in answered[remote_id])
        for lost_pk, remote_id in timeouts_after_effect
    )


@override_settings(DELIVERY_KICK_ON_COMMIT=True)
def test_every_delivery_arrives_once_through_5xx_timeouts_throttling_and_a_killed_worker(
    sandbox_account: Any, tmp_path: Path
) -> None:
    # given N invoices held by the generic API's sandbox, which fails often and in every way a client notices
    account = sandbox_account("generic", read_timeout=READ_TIMEOUT_S, connect_timeout=1, max_concurrency=16)
    invoices = seeded_invoices(account, DELIVERIES)
    SandboxFault.objects.update_or_create(kind="generic", defaults=FAULTS)
    bursts = ThrottleBursts(every=BURST_EVERY, length=BURST_LENGTH)
    budget = 120 + DELIVERIES * 0.5  # seconds: a bound for waiting, far above any expected run

    started = time.monotonic()
    opened = 0
    with celery_worker(tmp_path, concurrency=8, name="first") as kill:
        # when the invoices are opened, each change queued for delivery (in chunks, throttling in bursts meanwhile)
        bursts.step(0)
        while opened < DELIVERIES and not killing_time():
            open_all(invoices[opened : opened + CHUNK])
            opened = min(opened + CHUNK, DELIVERIES)
            bursts.step(delivered())
        # and the worker is killed with SIGKILL once a third is delivered, while deliveries are in flight
        drive(bursts, killing_time, timeout=budget, what="a third delivered, some in flight")
        kill()
    in_flight_at_kill = sending()
    delivered_at_kill = delivered()
    opened_at_kill = opened

    # and a restarted worker and a second one carry on, while the rest of the invoices are opened
    with (
        celery_worker(tmp_path, concurrency=8, name="restarted"),
        celery_worker(tmp_path, concurrency=8, name="second"),
    ):
        while opened < DELIVERIES:
            open_all(invoices[opened : opened + CHUNK])
            opened = min(opened + CHUNK, DELIVERIES)
            bursts.step(delivered())
        drive(bursts, lambda: delivered() == DELIVERIES, timeout=budget, what="every delivery")
    wall = time.monotonic() - started

    # the figures, printed before they are judged
    log = SandboxRequest.objects.filter(kind="generic")
    answered_500 = log.filter(fault="5xx", status_code=500).count()
    answered_429 = log.filter(fault="429", status_code=429).count()
    timeouts = log.filter(fault="timeout").count()
    lost_answers = list(log.filter(fault="timeout").exclude(effect="").values_list("id", "body"))
    timeouts_after_effect = [(pk, str(json.loads(body)["id"]).lower()) for pk, body in lost_answers]
    applied = Counter(e.split(" ")[1] for e in effects("generic"))
    duplicates = sum(count - 1 for count in applied.values())
    attempts = DeliveryAttempt.objects.count()
    abandoned = DeliveryAttempt.objects.filter(outcome=AttemptOutcome.ABANDONED).count()
    resent = resent_without_effect(timeouts_after_effect)
    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    print(
        f"\nfault soak: {DELIVERIES} deliveries in {wall:.1f} s ({DELIVERIES / wall:.1f}/s, the changes recorded "
        f"meanwhile) on {connection.vendor} + {broker}; {attempts} attempts, {log.count()} provider requests: "
        f"{answered_500} answered 500, "
        f"{answered_429} answered 429 ({bursts.count} bursts), {timeouts} timed out ({len(timeouts_after_effect)} "
        f"after the update, {resent} of them resent and applied once); 1 worker killed at {delivered_at_kill} "
        f"delivered ({opened_at_kill} opened) with {in_flight_at_kill} in flight ({abandoned} attempts abandoned); "
        f"{DELIVERIES - len(applied)} lost, {duplicates} applied twice"
    )

    # then every delivery arrived, each update applied exactly once, none lost, none left behind
    assert 0 < delivered_at_kill < DELIVERIES
    assert in_flight_at_kill >= 1
    assert Delivery.objects.count() == DELIVERIES
    assert Delivery.objects.exclude(state=DeliveryState.SUCCEEDED).count() == 0
    assert_each_effect_applied_once(invoices)
    assert duplicates == 0
    held = SandboxObject.objects.filter(kind="generic", collection="invoices").values_list("data", flat=True)
    assert Counter(data.get("status") for data in held) == {"Pending": DELIVERIES}  # each held as opened
    assert set(Invoice.objects.values_list("sync_state", flat=True)) == {SyncState.SYNCED}
    # and the faults really happened, and cost retries
    assert answered_500 > 0
    assert answered_429 > 0
    assert timeouts > 0
    assert attempts > DELIVERIES
    # and every answer lost after the update was followed by a repeat that changed nothing
    assert resent == len(timeouts_after_effect)
