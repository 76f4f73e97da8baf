"""Rapyd webhooks: checking their signature and reading the invoice events.

Rapyd signs each webhook as it signs requests, but over the full webhook URL configured in its Client Portal and
with no method (see signing.webhook_signature); headers `salt`, `timestamp`, `signature`. The body:

    {"id": "wh_…", "type": "INVOICE_UPDATED", "data": {…}, "trigger_operation_id": "…", "status": "NEW",
     "created_at": 1702515919, "extended_timestamp": 1702515919834}

Events acted on (Rapyd Collect's invoice webhooks, and the payment that settles an invoice):

- INVOICE_CREATED, INVOICE_UPDATED, INVOICE_FINALIZED, INVOICE_PAYMENT_SUCCEEDED, INVOICE_PAYMENT_FAILED:
  `data` is the invoice object; its `status` is the invoice's state after the event.
- PAYMENT_COMPLETED, PAYMENT_SUCCEEDED: `data` is a payment object; when it is paid (`paid` true or status
  `CLO`) and names an invoice (`invoice`), that invoice is paid, at the payment's `paid_at`.

Every other type is acknowledged and left alone. A webhook Rapyd sends again (status `RET`) keeps its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from invoices.lifecycle import InvoiceStatus
from invoices.webhooks.events import InvoiceRef, ProviderEvent, WebhookAuthenticationError, WebhookPayloadError
from providers.jsonnumbers import loads_decimal
from providers.validation import datetime_from_unix, is_int

from . import signing
from .status import from_rapyd

TIMESTAMP_TOLERANCE_S = 60
MAX_SALT_LENGTH = 64

INVOICE_EVENTS = frozenset(
    {
        "INVOICE_CREATED",
        "INVOICE_UPDATED",
        "INVOICE_FINALIZED",
        "INVOICE_PAYMENT_SUCCEEDED",
        "INVOICE_PAYMENT_FAILED",
    }
)
PAYMENT_EVENTS = frozenset({"PAYMENT_COMPLETED", "PAYMENT_SUCCEEDED"})
PAYMENT_CLOSED = "CLO"


def check_signature(
    *, url: str, headers: Mapping[str, str], body: str, access_key: str, secret_key: str, now: float
) -> str:
    """Verify the webhook as Rapyd signs it; answer the salt (the caller refuses one seen before)."""
    salt, timestamp, given = (headers.get(name, "") for name in ("salt", "timestamp", "signature"))
    if not (salt and timestamp and given):
        raise WebhookAuthenticationError("The salt, timestamp or signature header is missing.")
    if len(salt) > MAX_SALT_LENGTH:
        raise WebhookAuthenticationError("The salt is too long.")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookAuthenticationError("The timestamp must be Unix seconds.")
    if abs(now - int(timestamp)) > TIMESTAMP_TOLERANCE_S:
        raise WebhookAuthenticationError("The timestamp is more than 60 seconds away from the server's time.")
    expected = signing.webhook_signature(url, salt, timestamp, access_key, secret_key, body)
    if not signing.matches(expected, given):
        raise WebhookAuthenticationError("The signature does not match the webhook (URL, salt, timestamp or body).")
    return salt


def parse(body: str) -> ProviderEvent:
    try:
        payload = loads_decimal(body)
    except ValueError:
        raise WebhookPayloadError("The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("The body must be a JSON object.")
    event_id, event_type = payload.get("id"), payload.get("type")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookPayloadError("The webhook has no id.")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError("The webhook has no type.")
    occurred_at = _occurred_at(payload)
    data = payload.get("data")
    if event_type in INVOICE_EVENTS:
        return _invoice_event(event_id, event_type, occurred_at, data)
    if event_type in PAYMENT_EVENTS:
        return _payment_event(event_id, event_type, occurred_at, data)
    return ProviderEvent(event_id, event_type, occurred_at, ignored=f"Rapyd {event_type} is not an event we act on.")


def _occurred_at(payload: Mapping[str, Any]) -> datetime | None:
    # The milliseconds when Rapyd gives them: two events of one second still order correctly.
    millis = payload.get("extended_timestamp")
    if isinstance(millis, int) and is_int(millis) and millis > 0:
        moment = datetime_from_unix(millis / 1000)
        if moment is not None:
            return moment
    return _unix(payload.get("created_at"), "created_at")


def _invoice_event(event_id: str, event_type: str, occurred_at: datetime | None, data: Any) -> ProviderEvent:
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"{event_type}: data must be the invoice object.")
    invoice_id, word = data.get("id"), data.get("status")
    if not isinstance(invoice_id, str) or not invoice_id.startswith("invoice_"):
        raise WebhookPayloadError(f"{event_type}: data.id must be the invoice id (invoice_…).")
    if not isinstance(word, str):
        raise WebhookPayloadError(f"{event_type}: data.status is missing.")
    status = from_rapyd(word)
    if status is None:
        raise WebhookPayloadError(f"{event_type}: {word!r} is not a Rapyd invoice status.")
    paid_at = occurred_at if status == InvoiceStatus.PAID else None
    return ProviderEvent(event_id, event_type, occurred_at, InvoiceRef(remote_id=invoice_id), status, paid_at)


def _payment_event(event_id: str, event_type: str, occurred_at: datetime | None, data: Any) -> ProviderEvent:
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"{event_type}: data must be the payment object.")
    invoice_id = data.get("invoice") or ""
    if not isinstance(invoice_id, str):
        raise WebhookPayloadError(f"{event_type}: data.invoice must be an invoice id or empty.")
    if not invoice_id:
        return ProviderEvent(event_id, event_type, occurred_at, ignored="The payment belongs to no invoice.")
    if not (data.get("paid") is True or data.get("status") == PAYMENT_CLOSED):
        return ProviderEvent(
            event_id, event_type, occurred_at, ignored=f"Payment {data.get('id', '')} is not paid yet.".strip()
        )
    paid_at = _unix(data.get("paid_at"), "data.paid_at") or occurred_at
    return ProviderEvent(
        event_id, event_type, occurred_at, InvoiceRef(remote_id=invoice_id), InvoiceStatus.PAID, paid_at
    )


def _unix(value: Any, name: str) -> datetime | None:
    if value in (None, 0):
        return None
    moment = datetime_from_unix(value) if is_int(value) and value >= 0 else None
    if moment is None:
        raise WebhookPayloadError(f"{name} must be Unix seconds, not after tomorrow.")
    return moment
