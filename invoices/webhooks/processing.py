"""Processing a stored webhook event: find our invoice, apply the event through the services, record the outcome.

Providers deliver at least once, so duplicates are normal (dj-stripe's Event.process): an event id already
PROCESSED on the account is recorded as a duplicate and changes nothing. The invoices' rows are locked before
that check, so two deliveries of one event arriving together apply it once. Changes go in with door "webhook",
which queues no delivery back to the provider that told us.

Outcomes: PROCESSED (applied, or the invoice already said so), SKIPPED (a duplicate, no such invoice, or older than
what the invoice reflects), FAILED (the lifecycle or the provider's rules refuse the move; reprocess once fixed).
Nothing here raises for an event's sake: the provider is never answered with a 5xx because of its content.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from providers.base import ProviderRuleError
from providers.kinds import ProviderKind

from ..actors import Actor
from ..lifecycle import IllegalTransition
from ..models import Door, Invoice, InvoiceType, WebhookEvent, WebhookState
from ..services import invoice_apply_provider_event
from .events import InvoiceRef, ProviderEvent, WebhookPayloadError
from .kinds import parse_event

logger = logging.getLogger("invoices.webhooks")

REPROCESSABLE = (WebhookState.FAILED, WebhookState.SKIPPED, WebhookState.RECEIVED)
# An event is processed as it arrives; one still "received" after this long was stopped by a crash or a lost
# connection, and is taken up again by a reprocess.
STALLED_AFTER = timedelta(minutes=5)


def webhook_process(*, event_id: int, requested_by: str = "") -> WebhookEvent:
    """Apply one authenticated, stored event (again, when reprocessed) and record how it ended."""
    event = WebhookEvent.objects.select_related("account").get(pk=event_id)
    if not event.valid:
        raise ValueError(f"Webhook event #{event.pk} was refused at the door and is never applied.")
    try:
        _process(event, requested_by)
    except Exception as exc:
        # Whatever went wrong is recorded for staff, and the provider still gets its 200.
        logger.exception("webhook event %s could not be processed", event.pk)
        _finish(event, WebhookState.FAILED, f"Unexpected error while processing: {type(exc).__name__}: {exc}")
    event.refresh_from_db()
    return event


def _process(event: WebhookEvent, requested_by: str) -> None:
    try:
        parsed = parse_event(event.kind, event.body)
    except WebhookPayloadError as exc:
        _finish(event, WebhookState.FAILED, f"The stored body is no longer a readable event: {exc}")
        return
    if parsed.ignored or parsed.invoice is None:
        _finish(event, WebhookState.SKIPPED, parsed.ignored or "The event names no invoice; nothing changed.")
        return
    invoice_ids = _invoices(event, parsed.invoice)
    with transaction.atomic():
        locked = list(
            Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk").values_list("pk", flat=True)
        )
        original = _already_processed(event)
        if original is not None:
            _finish(
                event,
                WebhookState.SKIPPED,
                f"Duplicate of #{original.pk}: event {event.event_id} was already applied; nothing changed.",
                invoice_id=original.invoice_id,
            )
            return
        if not locked:
            account = event.account.name if event.account else "?"
            _finish(
                event,
                WebhookState.SKIPPED,
                f"No invoice with {parsed.invoice} on account {account}; nothing changed.",
            )
            return
        state, messages = _apply(event, parsed, locked, requested_by)
        _finish(event, state, "\n".join(messages), invoice_id=locked[0])


def _invoices(event: WebhookEvent, ref: InvoiceRef) -> list[int]:
    """Our invoices the event is about, within the account the webhook URL named."""
    invoices = Invoice.objects.filter(account_id=event.account_id)
    if ref.remote_id:
        found = invoices.filter(remote_id=ref.remote_id)
    elif ref.number:
        # The provider's number first; an invoice pushed without one is known there by ours.
        found = invoices.filter(remote_number=ref.number)
        if not found.exists():
            found = invoices.filter(number=ref.number)
    else:
        # An order may carry several (partial) invoices: the order's state is theirs. Return invoices are
        # separate documents VTEX does not move with the order's status.
        found = invoices.filter(orders__order_id=ref.order_id, invoice_type=InvoiceType.SALE).distinct()
    return list(found.values_list("pk", flat=True))


def _already_processed(event: WebhookEvent) -> WebhookEvent | None:
    if not event.event_id:
        return None
    return (
        WebhookEvent.objects.filter(
            kind=event.kind, account_id=event.account_id, event_id=event.event_id, state=WebhookState.PROCESSED
        )
        .exclude(pk=event.pk)
        .order_by("pk")
        .first()
    )


def _apply(
    event: WebhookEvent, parsed: ProviderEvent, invoice_ids: Sequence[int], requested_by: str
) -> tuple[str, list[str]]:
    label = ProviderKind(event.kind).label
    actor = Actor.system(f"{event.kind} webhook")
    reason = f"{label} {parsed.event_type} {parsed.event_id} (webhook event #{event.pk})"
    if requested_by:
        reason += f", reprocessed by {requested_by}"
    payments = [asdict(payment) for payment in parsed.order_payments]
    applied = failed = False
    messages = []
    for invoice_id in invoice_ids:
        try:
            # One savepoint per invoice: a refusal undoes that invoice's steps, not another invoice's.
            with transaction.atomic():
                outcome = invoice_apply_provider_event(
                    invoice_id=invoice_id,
                    actor=actor,
                    door=Door.WEBHOOK,
                    reason=reason,
                    occurred_at=parsed.occurred_at,
                    to_status=parsed.status,
                    paid_at=parsed.paid_at,
                    order_payments=payments,
                )
        except (IllegalTransition, ProviderRuleError) as exc:
            failed = True
            messages.append(str(exc))
        except ValidationError as exc:
            failed = True
            messages.append("; ".join(exc.messages))
        else:
            applied = applied or outcome.applied
            messages.append(outcome.message)
    if failed:
        return WebhookState.FAILED, messages
    return (WebhookState.PROCESSED if applied else WebhookState.SKIPPED), messages


def _finish(event: WebhookEvent, state: str, outcome: str, *, invoice_id: int | None = None) -> None:
    fields = {"state": state, "outcome": outcome, "processed_at": timezone.now(), "attempts": F("attempts") + 1}
    if invoice_id is not None:
        fields["invoice_id"] = invoice_id
    WebhookEvent.objects.filter(pk=event.pk).update(**fields)


# --- Reprocessing ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReprocessOutcome:
    event_id: int
    ok: bool  # False: refused, nothing was tried
    state: str
    message: str


def webhook_reprocess_refusal(event: WebhookEvent) -> str:
    """Why this event cannot be reprocessed, or "" when it can."""
    if not event.valid:
        return "it was refused at the door (invalid) and is never applied"
    if event.state not in REPROCESSABLE:
        return (
            f"only failed, skipped or stalled events are reprocessed; this one is {event.get_state_display().lower()}"
        )
    if event.state == WebhookState.RECEIVED and event.received_at > timezone.now() - STALLED_AFTER:
        return "it arrived less than 5 minutes ago and is still being processed"
    return ""


def webhooks_reprocess(*, event_ids: Iterable[int], requested_by: str) -> list[ReprocessOutcome]:
    """Process failed or skipped events again, one at a time; one outcome per event, in the order given."""
    outcomes = []
    for event_id in event_ids:
        event = WebhookEvent.objects.filter(pk=event_id).first()
        if event is None:
            outcomes.append(ReprocessOutcome(event_id, False, "", f"#{event_id}: no such webhook event."))
            continue
        refusal = webhook_reprocess_refusal(event)
        if refusal:
            outcomes.append(ReprocessOutcome(event_id, False, event.state, f"#{event_id} left as it is: {refusal}."))
            continue
        event = webhook_process(event_id=event_id, requested_by=requested_by)
        state_label = event.get_state_display().lower()
        outcomes.append(ReprocessOutcome(event_id, True, event.state, f"#{event_id} {state_label}: {event.outcome}"))
    return outcomes
