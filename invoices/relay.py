"""The outbox relay: claim due deliveries, send them through the provider's adapter, record what happened.

Claiming is safe with many workers on many machines: rows are picked with `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL and taken with a conditional UPDATE everywhere (on SQLite, whose writers are serialized, the conditional
UPDATE alone decides). No transaction is held open while a provider is called. A worker that dies mid-delivery
leaves a lease that expires; the delivery is then taken back as *uncertain* and settled by reading the provider's
state back where it has a read endpoint, or resent with the same idempotency key.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from providers.base import (
    Change,
    ConfigurationError,
    Exchange,
    InvoiceData,
    Operation,
    ProviderAdapter,
    ProviderError,
    RejectedError,
    Result,
    TemporaryError,
)
from providers.redaction import redact_text
from providers.registry import adapter_for

from .models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Invoice,
    SyncState,
)
from .selectors import invoice_data

logger = logging.getLogger("invoices.relay")

FINAL_STATES = (DeliveryState.SUCCEEDED, DeliveryState.CANCELLED)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    token: str


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt ended in, with the provider's answer or error when there was one."""

    state: str
    result: Result | None = None
    error: ProviderError | None = None


def backoff_seconds(attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter ("equal jitter"): half fixed, half random, capped; never before Retry-After."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS
    ceiling = min(settings.DELIVERY_BACKOFF_CAP_SECONDS, base * (2 ** max(0, attempts - 1)))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def eligible_deliveries(now: datetime) -> QuerySet[Delivery]:
    """Due, for an enabled and running account, and first in line for its invoice."""
    earlier_open = Delivery.objects.filter(invoice_id=OuterRef("invoice_id"), id__lt=OuterRef("id")).exclude(
        state__in=FINAL_STATES
    )
    return Delivery.objects.filter(
        state=DeliveryState.PENDING,
        next_attempt_at__lte=now,
        account__enabled=True,
        account__paused=False,
    ).filter(~Exists(earlier_open))


def claim(*, worker: str, limit: int, delivery_id: int | None = None) -> list[Claim]:
    now = timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    with transaction.atomic():
        candidates = eligible_deliveries(now).order_by("next_attempt_at", "id")
        if delivery_id is not None:
            candidates = candidates.filter(pk=delivery_id)
        rows = list(
            candidates.select_for_update(skip_locked=True, of=("self",)).values_list(
                "id", "account_id", "account__max_concurrency"
            )[: limit * 4]
        )
        if not rows:
            return []
        busy = dict(
            Delivery.objects.filter(state=DeliveryState.SENDING, account_id__in={r[1] for r in rows})
            .values("account_id")
            .annotate(n=Count("id"))
            .values_list("account_id", "n")
        )
        chosen: list[int] = []
        taken: dict[int, int] = defaultdict(int)
        for pk, account_id, max_concurrency in rows:
            if busy.get(account_id, 0) + taken[account_id] >= max_concurrency:
                continue
            taken[account_id] += 1
            chosen.append(pk)
            if len(chosen) >= limit:
                break
        if not chosen:
            return []
        Delivery.objects.filter(pk__in=chosen, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENDING,
            claimed_by=token,
            lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
        mine = list(
            Delivery.objects.filter(pk__in=chosen, claimed_by=token, state=DeliveryState.SENDING)
            .order_by("id")
            .values_list("id", flat=True)
        )
    return [Claim(pk, token) for pk in mine]


def reclaim_expired(now: datetime | None = None) -> int:
    """Take back deliveries whose worker vanished: their outcome is unknown, so they come back *uncertain*."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.SENDING, lease_until__lt=now)
            .values_list("id", flat=True)
        )
        if not expired:
            return 0
        DeliveryAttempt.objects.filter(delivery_id__in=expired, outcome=AttemptOutcome.STARTED).update(
            outcome=AttemptOutcome.ABANDONED, finished_at=now, message="worker lost while delivering"
        )
        # Attempts that ran out while abandoned go dead like any other exhausted delivery.
        Delivery.objects.filter(pk__in=expired, attempts__gte=F("max_attempts")).update(
            state=DeliveryState.DEAD,
            uncertain=True,
            claimed_by="",
            lease_until=None,
            last_error="worker lost while delivering; attempts exhausted",
            last_error_kind="temporary",
            completed_at=now,
        )
        count = Delivery.objects.filter(pk__in=expired, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING, uncertain=True, claimed_by="", lease_until=None, next_attempt_at=now
        )
    if count:
        logger.warning("took back %d deliveries from lost workers", count)
    return count


def deliver(claimed: Claim, *, worker: str = "") -> str:
    """Send one claimed delivery and record the outcome. Returns the delivery's new state."""
    return attempt_delivery(claimed, worker=worker).state


def attempt_delivery(claimed: Claim, *, worker: str = "") -> Outcome:
    """Send one claimed delivery, record the outcome, and return it with the provider's answer."""
    delivery = Delivery.objects.select_related("account", "invoice").get(pk=claimed.delivery_id)
    if delivery.state != DeliveryState.SENDING or delivery.claimed_by != claimed.token:
        return Outcome(delivery.state)
    started = timezone.now()
    record = DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, worker=worker or claimed.token, started_at=started
    )
    clock = time.monotonic()
    # The invoice came with the delivery (select_related): only its lines and orders are still to be read.
    invoice = delivery.invoice
    prefetch_related_objects([invoice], "lines", "orders")
    change = Change(
        operation=Operation(delivery.operation),
        idempotency_key=delivery.idempotency_key,
        to_status=delivery.to_status or None,
        from_status=delivery.from_status or None,
    )
    secrets: tuple[str, ...] = ()
    try:
        adapter = adapter_for(delivery.account)
        secrets = adapter.account.secret_values()
        data = invoice_data(invoice)
        result = _settle_by_reading_back(adapter, data, delivery) if delivery.uncertain else None
        settled = result is not None
        if result is None:
            result = adapter.execute(data, change)
    except ProviderError as error:
        return Outcome(_record_failure(delivery, record, claimed, error, clock), error=error)
    except Exception as error:
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        message = redact_text(f"unexpected {type(error).__name__}: {error}", secrets)
        wrapped = TemporaryError(message)
        return Outcome(_record_failure(delivery, record, claimed, wrapped, clock), error=wrapped)
    return Outcome(_record_success(delivery, record, claimed, result, clock, settled=settled), result=result)


def _settle_by_reading_back(adapter: ProviderAdapter, data: InvoiceData, delivery: Delivery) -> Result | None:
    """An earlier attempt may have been applied: if the provider can be read and already shows the target status,
    the delivery is done without sending it again."""
    if delivery.operation != Operation.PUSH or not delivery.to_status or Operation.FETCH not in adapter.supports:
        return None
    try:
        remote = adapter.fetch_remote(data)
    except ProviderError:
        return None  # cannot read back now: fall through to a resend with the same idempotency key
    if remote.exists and remote.status == delivery.to_status:
        return Result(
            ok=True,
            message="already applied at the provider (settled by reading back)",
            remote_status=remote.remote_status,
            status=remote.status,
            data=remote.data,
            exchanges=remote.exchanges,
        )
    return None


def _exchanges(exchanges: tuple[Exchange, ...]) -> list[dict[str, object]]:
    return [e.as_dict() for e in exchanges]


def _record_success(
    delivery: Delivery, attempt: DeliveryAttempt, claimed: Claim, result: Result, clock: float, *, settled: bool
) -> str:
    now = timezone.now()
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=claimed.token).update(
            state=DeliveryState.SUCCEEDED,
            claimed_by="",
            lease_until=None,
            uncertain=False,
            last_error="",
            last_error_kind="",
            provider_message=result.message[:2000],
            completed_at=now,
        )
        _finish_attempt(
            attempt, AttemptOutcome.SETTLED if settled else AttemptOutcome.SUCCEEDED, result.message, result, clock
        )
        if not updated:
            return _lost_lease(delivery)
        invoice_fields: dict[str, object] = {"last_synced_at": now}
        if result.remote_id:
            invoice_fields["remote_id"] = result.remote_id
        if result.remote_number:
            invoice_fields["remote_number"] = result.remote_number
        # Identifiers the provider assigned are adopted only where ours are blank: never overwrite a known id.
        Invoice.objects.filter(pk=delivery.invoice_id).update(
            **{k: v for k, v in invoice_fields.items() if k == "last_synced_at" or not getattr(delivery.invoice, k)}
        )
        refresh_sync_state(delivery.invoice_id)
    return DeliveryState.SUCCEEDED


def _record_failure(
    delivery: Delivery, attempt: DeliveryAttempt, claimed: Claim, error: ProviderError, clock: float
) -> str:
    now = timezone.now()
    message = str(error)[:2000]
    if isinstance(error, RejectedError | ConfigurationError):
        state, outcome, retry_at = DeliveryState.FAILED, _outcome_for(error), None
    elif delivery.attempts >= delivery.max_attempts:
        state, outcome, retry_at = DeliveryState.DEAD, AttemptOutcome.TEMPORARY, None
    else:
        state, outcome = DeliveryState.PENDING, AttemptOutcome.TEMPORARY
        retry_at = now + timedelta(seconds=backoff_seconds(delivery.attempts, error.retry_after))
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=claimed.token).update(
            state=state,
            claimed_by="",
            lease_until=None,
            next_attempt_at=retry_at or now,
            uncertain=delivery.uncertain or error.uncertain,
            last_error=message,
            last_error_kind=error.kind.value,
            provider_message=error.message[:2000] if isinstance(error, RejectedError) else "",
            completed_at=None if state == DeliveryState.PENDING else now,
        )
        attempt.retry_at = retry_at
        _finish_attempt(attempt, outcome, message, error, clock)
        if not updated:
            return _lost_lease(delivery)
        refresh_sync_state(delivery.invoice_id, error=message if state != DeliveryState.PENDING else "")
    level = logging.WARNING if state == DeliveryState.PENDING else logging.ERROR
    logger.log(level, "delivery %s %s: %s", delivery.pk, state, message)
    return state


def _outcome_for(error: ProviderError) -> str:
    return AttemptOutcome.CONFIGURATION if isinstance(error, ConfigurationError) else AttemptOutcome.REJECTED


def _finish_attempt(
    attempt: DeliveryAttempt, outcome: str, message: str, source: Result | ProviderError, clock: float
) -> None:
    attempt.outcome = outcome
    attempt.message = message
    attempt.finished_at = timezone.now()
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    attempt.exchanges = _exchanges(source.exchanges)
    attempt.save(update_fields=["outcome", "message", "finished_at", "duration_ms", "exchanges", "retry_at"])


def _lost_lease(delivery: Delivery) -> str:
    # Our lease expired and the delivery was taken back: the other holder decides its fate.
    logger.warning("delivery %s: lease lost before its outcome was recorded", delivery.pk)
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk)


def refresh_sync_state(invoice_id: int, *, error: str = "") -> None:
    """The invoice's sync state follows its deliveries: failed if any is stopped, pending if any is open."""
    counts = dict(
        Delivery.objects.filter(invoice_id=invoice_id)
        .filter(Q(state__in=(DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED, DeliveryState.DEAD)))
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    if counts.get(DeliveryState.FAILED) or counts.get(DeliveryState.DEAD):
        state = SyncState.FAILED
    elif counts:
        state = SyncState.PENDING
    else:
        state = SyncState.SYNCED
    fields: dict[str, object] = {"sync_state": state}
    if state == SyncState.FAILED and error:
        fields["sync_error"] = error
    elif state != SyncState.FAILED:
        fields["sync_error"] = ""
    Invoice.objects.filter(pk=invoice_id).update(**fields)


def relay(*, worker: str, limit: int | None = None, budget_seconds: float = 50.0, max_rounds: int | None = None) -> int:
    """Deliver due rows until none is left, the time budget is spent, or max_rounds batches ran."""
    limit = limit or settings.DELIVERY_BATCH_SIZE
    reclaim_expired()
    delivered = 0
    deadline = time.monotonic() + budget_seconds
    rounds = 0
    while time.monotonic() < deadline and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        claims = claim(worker=worker, limit=limit)
        if not claims:
            break
        for claimed in claims:
            deliver(claimed, worker=worker)
            delivered += 1
    return delivered


def deliver_now(delivery_id: int, *, worker: str, budget_seconds: float) -> Outcome | None:
    """Try one delivery at once, waiting at most `budget_seconds` for the provider (the mirrors' short budget).

    Returns None when the delivery is not first in line or the budget ran out; the attempt then goes on in the
    background and is recorded like any other, and the relay covers anything left."""
    claims = claim(worker=worker, limit=1, delivery_id=delivery_id)
    if not claims:
        return None
    future = _executor().submit(_attempt_in_thread, claims[0], worker)
    try:
        return future.result(timeout=budget_seconds)
    except FutureTimeout:
        return None


def _attempt_in_thread(claimed: Claim, worker: str) -> Outcome:
    from django.db import connections

    try:
        return attempt_delivery(claimed, worker=worker)
    finally:
        # This pool's threads live as long as the web process: never leave a connection open between attempts.
        connections.close_all()


_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="deliver-now")
    return _pool
