"""Services for deliveries: manual pushes, retries, cancellations and pausing a provider."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.crypto import DecryptionError
from providers.base import OutboundRequest, ProviderError, ProviderRuleError
from providers.models import ProviderAccount
from providers.redaction import redact_text
from providers.registry import adapter_for

from .actors import Actor
from .lifecycle import IllegalTransition
from .models import Delivery, DeliveryOperation, DeliveryState, Invoice
from .outbox import enqueue_delivery
from .relay import refresh_sync_state
from .selectors import invoice_data


class DeliveryError(Exception):
    """A delivery action that does not apply (e.g. retrying one that succeeded)."""


# How a refusal names the state a delivery is in, so that it reads as a sentence.
_STATE_PHRASES: dict[str, str] = {
    DeliveryState.PENDING: "is already queued",
    DeliveryState.SENDING: "is being sent right now",
    DeliveryState.SUCCEEDED: "succeeded",
    DeliveryState.FAILED: "failed",
    DeliveryState.DEAD: "is dead (its attempts ran out)",
    DeliveryState.CANCELLED: "was cancelled",
}


def _state_phrase(delivery: Delivery) -> str:
    return _STATE_PHRASES.get(delivery.state, f"is {delivery.state}")


# Only stopped deliveries are retried: a pending one is already in line, a succeeded one must not be sent twice.
RETRYABLE_STATES = (DeliveryState.FAILED, DeliveryState.DEAD)
# In flight, done, or already set aside: nothing to cancel.
UNCANCELLABLE_STATES = (DeliveryState.SUCCEEDED, DeliveryState.SENDING, DeliveryState.CANCELLED)


def delivery_retry_refusal(delivery: Delivery) -> str:
    """Why this delivery cannot be retried, or "" when it can (confirmation pages say so before anything)."""
    if delivery.state in RETRYABLE_STATES:
        return ""
    return f"Delivery #{delivery.pk} {_state_phrase(delivery)}: nothing to retry."


def delivery_cancel_refusal(delivery: Delivery) -> str:
    """Why this delivery cannot be cancelled, or "" when it can."""
    if delivery.state not in UNCANCELLABLE_STATES:
        return ""
    return f"Delivery #{delivery.pk} {_state_phrase(delivery)}: it cannot be cancelled."


@transaction.atomic
def invoice_push(*, invoice_id: int, actor: Actor, operation: str = DeliveryOperation.PUSH) -> Delivery:
    """Queue a push of the invoice as it stands (its current status and fields) to its provider."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    return enqueue_delivery(invoice=invoice, operation=operation, to_status=invoice.status, requested_by=actor.label)


def invoice_push_preview(*, invoice_id: int, operation: str = DeliveryOperation.PUSH) -> list[OutboundRequest]:
    """The exact request(s) a push would send now, secrets masked; touches neither the network nor the database."""
    from providers.base import Change, Operation

    invoice = Invoice.objects.select_related("account").prefetch_related("lines", "orders").get(pk=invoice_id)
    adapter = adapter_for(invoice.account)
    change = Change(operation=Operation(operation), idempotency_key="(assigned when queued)", to_status=invoice.status)
    # Adapters mask their secrets by name; masking the account's secret values as well means one an adapter
    # forgot (a key echoed in a body or a URL) still never reaches the page that shows the preview.
    secrets = adapter.account.secret_values()
    return [
        OutboundRequest(
            method=request.method,
            url=redact_text(request.url, secrets),
            headers={name: redact_text(value, secrets) for name, value in request.headers.items()},
            body=redact_text(request.body, secrets),
        )
        for request in adapter.preview(invoice_data(invoice), change)
    ]


@transaction.atomic
def delivery_retry(*, delivery_id: int, actor: Actor) -> Delivery:
    """Put a failed or dead delivery back in line, with a fresh allowance of attempts and the same idempotency
    key (a resend must not apply the change twice)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if refusal := delivery_retry_refusal(delivery):
        raise DeliveryError(refusal)
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
    if refusal := delivery_cancel_refusal(delivery):
        raise DeliveryError(refusal)
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


# One delivery's outcome in any bulk delivery action (retry, cancel).
DeliveryOutcome = RetryOutcome


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


def deliveries_cancel(*, delivery_ids: Iterable[int], actor: Actor) -> list[DeliveryOutcome]:
    """Cancel each delivery in its own transaction: one that cannot be cancelled does not hold back the others."""
    outcomes = []
    for delivery_id in delivery_ids:
        try:
            delivery_cancel(delivery_id=delivery_id, actor=actor)
        except (DeliveryError, Delivery.DoesNotExist) as exc:
            outcomes.append(DeliveryOutcome(delivery_id, False, str(exc)))
        else:
            outcomes.append(DeliveryOutcome(delivery_id, True, f"Delivery #{delivery_id} cancelled."))
    return outcomes


# --- Manual pushes ---------------------------------------------------------------------------------------------
# What keeps a push from being previewed: the provider's setup or rules, the lifecycle, unreadable credentials.
PREVIEW_REFUSALS: tuple[type[Exception], ...] = (ProviderError, IllegalTransition, ProviderRuleError)


@dataclass(frozen=True)
class PushPreview:
    """What a push of one invoice would send now, or why it cannot be sent."""

    invoice_id: int
    requests: tuple[OutboundRequest, ...] = ()
    refusal: str = ""

    @property
    def ok(self) -> bool:
        return not self.refusal


def invoice_push_check(*, invoice_id: int, operation: str = DeliveryOperation.PUSH) -> PushPreview:
    """The dry run of a push: its exact requests, or the reason it would not go. Sends and writes nothing."""
    try:
        account = ProviderAccount.objects.only("name", "enabled").get(invoices__pk=invoice_id)
        if not account.enabled:
            # Deliveries of a disabled account are never claimed: queueing one would only hide it.
            return PushPreview(invoice_id, refusal=f"The provider account {account.name} is disabled: enable it first.")
        requests = invoice_push_preview(invoice_id=invoice_id, operation=operation)
    except PREVIEW_REFUSALS as exc:
        return PushPreview(invoice_id, refusal=str(exc))
    except DecryptionError:
        return PushPreview(
            invoice_id,
            refusal="The provider account's credentials cannot be decrypted with the configured keys: "
            "an administrator must enter them again.",
        )
    except (Invoice.DoesNotExist, ProviderAccount.DoesNotExist):
        return PushPreview(invoice_id, refusal=f"Invoice #{invoice_id} no longer exists.")
    return PushPreview(invoice_id, requests=tuple(requests))


@dataclass(frozen=True)
class PushOutcome:
    invoice_id: int
    ok: bool
    message: str
    delivery_id: int | None = None


def invoices_push(
    *, invoice_ids: Iterable[int], actor: Actor, operation: str = DeliveryOperation.PUSH
) -> list[PushOutcome]:
    """Queue one push per invoice whose push can be previewed now; say why for the others.

    Checked again here, not taken from the page the person confirmed: the invoice or its account may have
    changed in between. Each push is its own transaction, so one refusal does not hold back the others."""
    outcomes = []
    for invoice_id in invoice_ids:
        check = invoice_push_check(invoice_id=invoice_id, operation=operation)
        if not check.ok:
            outcomes.append(PushOutcome(invoice_id, False, check.refusal))
            continue
        delivery = invoice_push(invoice_id=invoice_id, actor=actor, operation=operation)
        outcomes.append(PushOutcome(invoice_id, True, f"queued as delivery #{delivery.pk}", delivery.pk))
    return outcomes


def provider_set_paused(*, account_id: int, paused: bool, actor: Actor) -> ProviderAccount:
    """Pause or resume deliveries to one provider account; paused deliveries stay queued, nothing is dropped."""
    ProviderAccount.objects.filter(pk=account_id).update(paused=paused, updated_at=timezone.now())
    account = ProviderAccount.objects.get(pk=account_id)
    if not paused and settings.DELIVERY_KICK_ON_COMMIT:
        from .tasks import relay_outbox

        # robust: the account is resumed whatever the broker does; the periodic relay picks its deliveries up.
        transaction.on_commit(lambda: relay_outbox.delay(), robust=True)
    return account


def deliveries_due_count() -> int:
    return Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()).count()
