"""Writing deliveries: always inside the transaction of the change they carry (the transactional outbox).

The queue only carries ids, after commit; if the broker is unreachable at that moment nothing is lost: the periodic
relay finds every due row in the database.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Delivery, DeliveryOperation, Door, Invoice, StatusChange, SyncState

logger = logging.getLogger("invoices.outbox")

_local = threading.local()


@contextmanager
def kicks_deferred() -> Iterator[None]:
    """Queue deliveries without announcing each on the broker (bulk loads): the periodic relay sends them all in
    one pass instead of one message per delivery."""
    previous = getattr(_local, "deferred", False)
    _local.deferred = True
    try:
        yield
    finally:
        _local.deferred = previous


# Changes that came from the provider itself are not sent back to it.
DOORS_WITHOUT_DELIVERY = frozenset({Door.WEBHOOK, Door.PROVIDER})


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def enqueue_delivery(
    *,
    invoice: Invoice,
    operation: str = DeliveryOperation.PUSH,
    to_status: str = "",
    from_status: str = "",
    status_change: StatusChange | None = None,
    requested_by: str = "",
) -> Delivery:
    """Add a delivery row; must run inside the caller's transaction (the change and its delivery commit together)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue_delivery must run inside the transaction of the change it carries")
    delivery = Delivery.objects.create(
        invoice=invoice,
        account_id=invoice.account_id,
        operation=operation,
        to_status=to_status,
        from_status=from_status,
        status_change=status_change,
        idempotency_key=new_idempotency_key(),
        max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
        next_attempt_at=timezone.now(),
        requested_by=requested_by[:150],
    )
    if invoice.sync_state != SyncState.PENDING:
        Invoice.objects.filter(pk=invoice.pk).update(sync_state=SyncState.PENDING)
        invoice.sync_state = SyncState.PENDING
    if settings.DELIVERY_KICK_ON_COMMIT and not getattr(_local, "deferred", False):
        transaction.on_commit(lambda: kick(delivery.pk))
    return delivery


def kick(delivery_id: int) -> None:
    """Ask a worker to try this delivery now. Best effort: the periodic relay covers a lost message."""
    from .tasks import deliver

    try:
        deliver.delay(delivery_id)
    except Exception:
        logger.warning("could not enqueue delivery %s; the periodic relay will pick it up", delivery_id)
