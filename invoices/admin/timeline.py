"""The invoice's timeline: its status changes, deliveries (each attempt with the request sent and the answer
received, already redacted), emails and provider webhooks, in the order they happened, on the invoice page.

The tables above it on the page list each kind of record apart; the timeline answers "what happened, and then
what" without reading four tables side by side."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import TextChoices
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from invoices.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryOperation,
    Door,
    InvoiceEmail,
    StatusChange,
    WebhookEvent,
    WebhookState,
)
from invoices.selectors import TimelineItem, invoice_timeline

from .deliveries import ShownExchange
from .display import badge, delivery_state_badge, email_state_badge, status_badge, status_label

TEMPLATE = "admin/invoices/invoice/timeline.html"

GREEN, AMBER, RED, BLUE, GREY = (
    ("#1b5e2c", "#d9f0de"),
    ("#7a3e00", "#fbe3c4"),
    ("#ffffff", "#b3261e"),
    ("#0b4f8a", "#d8e9f8"),
    ("#3d3d3d", "#e6e6e6"),
)
ATTEMPT_COLOURS: dict[str, tuple[str, str]] = {
    AttemptOutcome.STARTED: BLUE,
    AttemptOutcome.SUCCEEDED: GREEN,
    AttemptOutcome.SETTLED: GREEN,
    AttemptOutcome.TEMPORARY: AMBER,
    AttemptOutcome.REJECTED: RED,
    AttemptOutcome.CONFIGURATION: RED,
    AttemptOutcome.ABANDONED: GREY,
}
WEBHOOK_COLOURS: dict[str, tuple[str, str]] = {
    WebhookState.RECEIVED: BLUE,
    WebhookState.PROCESSED: GREEN,
    WebhookState.SKIPPED: GREY,
    WebhookState.FAILED: RED,
    WebhookState.INVALID: AMBER,
}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline, as the page shows it."""

    at: datetime
    kind: str  # status, delivery, attempt, email, webhook: the entry's CSS class and its label's colour
    label: str
    title: str
    badge: SafeString | str = ""
    byline: str = ""  # who, and through which door: "by alice · Admin", "sent by worker relay-1"
    detail: str = ""
    link_url: str = ""
    link_text: str = ""
    exchanges: list[ShownExchange] = field(default_factory=list)


def _label_of(choices: type[TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _url(name: str, pk: int) -> str:
    # A page that is not registered (yet) leaves its entries without a link rather than breaking the invoice page.
    try:
        return reverse(f"admin:{name}", args=[pk])
    except NoReverseMatch:
        return ""


def _status_entry(change: StatusChange) -> Entry:
    if change.from_status:
        title = f"{status_label(change.from_status)} → {status_label(change.to_status)}"
    else:
        title = f"Created as {status_label(change.to_status)}"
    return Entry(
        at=change.at,
        kind="status",
        label="Status",
        title=title,
        badge=status_badge(change.to_status),
        byline=f"by {change.actor_label} · {_label_of(Door, change.door)}",
        detail=change.reason,
    )


def _delivery_entry(delivery: Delivery) -> Entry:
    operation = _label_of(DeliveryOperation, delivery.operation)
    target = f" → {status_label(delivery.to_status)}" if delivery.to_status else ""
    return Entry(
        at=delivery.created_at,
        kind="delivery",
        label="Delivery",
        title=f"Delivery #{delivery.pk} queued: {operation}{target}",
        badge=delivery_state_badge(delivery.state),
        byline=f"requested by {delivery.requested_by}" if delivery.requested_by else "",
        detail=Truncator(delivery.provider_message or delivery.last_error).chars(300),
        link_url=_url("invoices_delivery_change", delivery.pk),
        link_text="Open the delivery",
    )


def _attempt_entry(attempt: DeliveryAttempt) -> Entry:
    outcome = _label_of(AttemptOutcome, attempt.outcome)
    took = f" in {attempt.duration_ms} ms" if attempt.duration_ms is not None else ""
    return Entry(
        at=attempt.started_at,
        kind="attempt",
        label="Attempt",
        title=f"Delivery #{attempt.delivery_id}, attempt {attempt.number} of {attempt.delivery.max_attempts}{took}",
        badge=badge(f"attempt-{attempt.outcome}", ATTEMPT_COLOURS.get(attempt.outcome, GREY), outcome),
        byline=f"sent by worker {attempt.worker}" if attempt.worker else "",
        detail=attempt.message,
        exchanges=[ShownExchange.of(e) for e in attempt.exchanges if isinstance(e, dict)],
    )


def _email_entry(email: InvoiceEmail) -> Entry:
    stored_id = getattr(email, "stored_email_id", None)
    error = email.error.splitlines()[-1] if email.error else ""
    return Entry(
        at=email.created_at,
        kind="email",
        label="Email",
        title=f"Email #{email.pk} to {email.to}",
        badge=email_state_badge(email.state),
        byline=f"requested by {email.requested_by} · {_label_of(Door, email.door)}" if email.requested_by else "",
        detail=Truncator(error).chars(300) or email.subject,
        link_url=_url("invoices_storedemail_message", stored_id) if email.message_id and stored_id else "",
        link_text="Open the message",
    )


def _webhook_entry(event: WebhookEvent) -> Entry:
    provider = event.account.name if event.account is not None else event.kind
    occurred = ""
    if event.occurred_at:
        occurred = f" (at the provider: {timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S %Z})"
    return Entry(
        at=event.received_at,
        kind="webhook",
        label="Webhook",
        title=f"{event.event_type or 'Event'} from {provider}{occurred}",
        badge=badge(
            f"webhook-{event.state}", WEBHOOK_COLOURS.get(event.state, GREY), _label_of(WebhookState, event.state)
        ),
        detail=Truncator(event.outcome).chars(300),
        link_url=_url("invoices_webhookevent_change", event.pk),
        link_text="Open the event",
    )


def entry_for(item: TimelineItem) -> Entry:
    record = item.record
    if isinstance(record, StatusChange):
        return _status_entry(record)
    if isinstance(record, Delivery):
        return _delivery_entry(record)
    if isinstance(record, DeliveryAttempt):
        return _attempt_entry(record)
    if isinstance(record, InvoiceEmail):
        return _email_entry(record)
    return _webhook_entry(record)


class Timeline:
    """Computed when the page renders it (a saved form redirects without it), once."""

    def __init__(self, request: HttpRequest, invoice_id: int) -> None:
        self.request = request
        self.invoice_id = invoice_id

    @cached_property
    def entries(self) -> list[Entry]:
        user = self.request.user
        items = invoice_timeline(
            invoice_id=self.invoice_id,
            deliveries=user.has_perm("invoices.view_delivery"),
            emails=user.has_perm("invoices.view_invoiceemail"),
            webhooks=user.has_perm("invoices.view_webhookevent"),
        )
        return [entry_for(item) for item in items]
