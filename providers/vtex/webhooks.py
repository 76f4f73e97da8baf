"""VTEX's Orders Hook, read into our terms.

The hook (`POST /api/orders/hook/config` with `hook: {url, headers}`) posts each order status change with the
headers configured on it; VTEX signs nothing. The body:

    {"Domain": "Fulfillment", "OrderId": "v52277740atmc-01", "State": "invoiced", "LastState": "handling",
     "LastChange": "2019-08-14T17:11:39.2550122Z", "CurrentChange": "2019-08-14T17:12:48.0965893Z",
     "Origin": {"Account": "automacaoqa", "Key": "vtexappkey-appvtex"}}

and, when the hook is configured, a ping `{"hookConfig": "ping"}` that must be answered 200. VTEX gives a change no
id of its own: the order, its new state and the time of the change name it (a re-sent change repeats all three).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from invoices.webhooks.events import InvoiceRef, ProviderEvent, WebhookPayloadError
from providers.jsonnumbers import loads_decimal

from .status import from_vtex


def parse(body: str) -> ProviderEvent:
    try:
        payload = loads_decimal(body)
    except ValueError:
        raise WebhookPayloadError("The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("The body must be a JSON object.")
    if "hookConfig" in payload:
        return ProviderEvent("", "hook ping", None, ignored="VTEX checking the hook (ping).")
    order_id, state = payload.get("OrderId"), payload.get("State")
    if not isinstance(order_id, str) or not order_id:
        raise WebhookPayloadError("The hook has no OrderId.")
    if not isinstance(state, str) or not state:
        raise WebhookPayloadError("The hook has no State.")
    change = payload.get("CurrentChange")
    occurred_at = _instant(change, "CurrentChange")
    event_id = f"{order_id}:{state}:{change or ''}"
    status = from_vtex(state)
    if status is None:
        return ProviderEvent(
            event_id, state, occurred_at, ignored=f"The VTEX order state {state!r} has no counterpart here."
        )
    return ProviderEvent(event_id, state, occurred_at, InvoiceRef(order_id=order_id), status)


def _instant(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise WebhookPayloadError(f"{name} must be an ISO 8601 date and time.")
    try:
        # VTEX writes seven fractional digits ("…48.0965893Z"); Python keeps microseconds.
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WebhookPayloadError(f"{name} must be an ISO 8601 date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
