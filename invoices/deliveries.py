"""Services for deliveries: manual pushes, retries, cancellations and pausing a provider."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from providers.base import OutboundRequest
from providers.models import ProviderAccount
from providers.registry import adapter_for

from .actors import Actor
from .models import Delivery, DeliveryOperation, DeliveryState, Invoice
from .outbox import enqueue_delivery
from .relay import refresh_sync_state
from .selectors import invoice_data


class DeliveryError(Exception):
    """A delivery action that does not apply (e.g. retrying one that succeeded)."""


@transaction.atomic
def invoice_push(*, invoice_id: int, actor: Actor, operation: str = DeliveryOperation.PUSH) -> Delivery:
    """Queue a push of the invoice as it stands (its current status and fields) to its provider."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    return enqueue_delivery(
        invoice=invoice, operation=operation, to_status=invoice.status, requested_by=actor.label
    )


def invoice_push_preview(*, invoice_id: int, operation: str = DeliveryOperation.PUSH) -> list[OutboundRequest]:
    """The exact request(s) a push would send now, secrets masked; touches neither the network nor the database."""
    from providers.base import Change, Operation

    invoice = Invoice.objects.select_related("account").prefetch_related("lines", "orders").get(pk=invoice_id)
    adapter = adapter_for(invoice.account)
    change = Change(operation=Operation(operation), idempotency_key="(assigned when queued)", to_status=invoice.status)
    return adapter.preview(invoice_data(invoice), change)


@transaction.atomic
def delivery_retry(*, delivery_id: int, actor: Actor) -> Delivery:
    """Put a failed or dead delivery back in line, with a fresh allowance of attempts and the same idempotency
    key (a resend must not apply the change twice)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state not in (DeliveryState.FAILED, DeliveryState.DEAD):
        raise DeliveryError(f"Delivery #{delivery.pk} is {delivery.get_state_display().lower()}: nothing to retry.")
    delivery.state = DeliveryState.PENDING
    delivery.max_attempts = delivery.attempts + settings.DELIVERY_MAX_ATTEMPTS
    delivery.next_attempt_at = timezone.now()
    delivery.completed_at = None
    delivery.requested_by = actor.label[:150]
    delivery.save(update_fields=["state", "max_attempts", "next_attempt_at", "completed_at", "requested_by"])
    refresh_sync_state(delivery.invoice_id)
    if settings.DELIVERY_KICK_ON_COMMIT:
        from .outbox import kick

        transaction.on_commit(lambda: kick(delivery.pk))
    return delivery


@transaction.atomic
def delivery_cancel(*, delivery_id: int, actor: Actor) -> Delivery:
    """Set aside a delivery that is not in flight (its invoice's later deliveries may then go)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.state in (DeliveryState.SUCCEEDED, DeliveryState.SENDING, DeliveryState.CANCELLED):
        raise DeliveryError(f"Delivery #{delivery.pk} is {delivery.get_state_display().lower()}: it cannot be cancelled.")
    delivery.state = DeliveryState.CANCELLED
    delivery.completed_at = timezone.now()
    delivery.requested_by = actor.label[:150]
    delivery.save(update_fields=["state", "completed_at", "requested_by"])
    refresh_sync_state(delivery.invoice_id)
    return delivery


@dataclass(frozen=True)
class RetryOutcome:
    delivery_id: int
    ok: bool
    message: str


def deliveries_retry(*, delivery_ids: Iterable[int], actor: Actor) -> list[RetryOutcome]:
    outcomes = []
    for delivery_id in delivery_ids:
        try:
            delivery_retry(delivery_id=delivery_id, actor=actor)
        except (DeliveryError, Delivery.DoesNotExist) as exc:
            outcomes.append(RetryOutcome(delivery_id, False, str(exc)))
        else:
            outcomes.append(RetryOutcome(delivery_id, True, f"Delivery #{delivery_id} queued again."))
    return outcomes


def provider_set_paused(*, account_id: int, paused: bool, actor: Actor) -> ProviderAccount:
    """Pause or resume deliveries to one provider account; paused deliveries stay queued, nothing is dropped."""
    ProviderAccount.objects.filter(pk=account_id).update(paused=paused, updated_at=timezone.now())
    account = ProviderAccount.objects.get(pk=account_id)
    if not paused and settings.DELIVERY_KICK_ON_COMMIT:
        from .tasks import relay_outbox

        transaction.on_commit(lambda: relay_outbox.delay())
    return account


def deliveries_due_count() -> int:
    return Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()).count()
