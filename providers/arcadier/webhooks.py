"""Arcadier's `invoice.paid` event trigger, read into our terms.

Arcadier signs nothing: the trigger (`POST /api/v2/event-triggers` with `Uri`, `Filters`, `Headers`) carries a
secret custom header we check. The body (Arcadier/Event-Triggers-and-Vetting, "invoice.paid"):

    {"Action": "invoice.paid", "ID": "evt-…", "CreatedDateTime": 1587448975,
     "Data": {"InvoiceNo": "…", "CurrencyCode": "SGD", "Total": 1000, "Fee": 0,
              "Orders": [{"ID": "<guid>", "PaymentStatus": "Paid", "PaymentDetails": [{"Total": 1000, "Fee": 0,
                          "Status": "Success", "Gateway": {"Code": "stripe"}, "GatewayTransactionID": "…",
                          "DateTimePaid": 1587448974, …}], …}]}}

The invoice's status comes from its orders' PaymentStatus (status.invoice_status), each order's payment state
is kept on our order, and the latest DateTimePaid is when the invoice was paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoices.lifecycle import InvoiceStatus
from invoices.webhooks.events import InvoiceRef, OrderPayment, ProviderEvent, WebhookPayloadError
from providers.jsonnumbers import loads_decimal
from providers.validation import datetime_from_unix

from .payloads import GATEWAY_FIELDS
from .status import invoice_status

INVOICE_PAID = "invoice.paid"

# Arcadier's canonical PaymentStatus words (GET /api/v2/static/payment-statuses); its own docs vary the case.
PAYMENT_STATUS_WORDS: dict[str, str] = {
    word.lower(): word
    for word in ("Paid", "Acknowledged", "Processing", "Waiting for Payment", "Pending", "Failed", "Refunded")
}


def parse(body: str) -> ProviderEvent:
    try:
        payload = loads_decimal(body)
    except ValueError:
        raise WebhookPayloadError("The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise WebhookPayloadError("The body must be a JSON object.")
    action, event_id = payload.get("Action"), payload.get("ID")
    if not isinstance(action, str) or not action:
        raise WebhookPayloadError("The event has no Action.")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookPayloadError("The event has no ID.")
    occurred_at = _unix(payload.get("CreatedDateTime"), "CreatedDateTime")
    if action != INVOICE_PAID:
        return ProviderEvent(event_id, action, occurred_at, ignored=f"Arcadier {action} is not an event we act on.")
    data = payload.get("Data")
    if not isinstance(data, dict):
        raise WebhookPayloadError("invoice.paid: Data must be an object.")
    number = data.get("InvoiceNo")
    if not isinstance(number, str) or not number.strip():
        raise WebhookPayloadError("invoice.paid: Data.InvoiceNo is missing.")
    orders = data.get("Orders") or []
    if not isinstance(orders, list):
        raise WebhookPayloadError("invoice.paid: Data.Orders must be an array.")
    payments = tuple(_order_payment(position, order) for position, order in enumerate(orders, start=1))
    # The action says the invoice was paid; the orders say how far each got (an offline payment may still wait).
    status = invoice_status(p.payment_status for p in payments) or InvoiceStatus.PAID
    paid_times = [p.paid_at for p in payments if p.paid_at is not None]
    paid_at = (max(paid_times) if paid_times else occurred_at) if status == InvoiceStatus.PAID else None
    return ProviderEvent(
        event_id,
        action,
        occurred_at,
        InvoiceRef(number=number.strip()),
        status,
        paid_at,
        order_payments=payments,
    )


def _order_payment(position: int, order: Any) -> OrderPayment:
    if not isinstance(order, dict):
        raise WebhookPayloadError(f"invoice.paid: order {position} must be an object.")
    order_id, word = order.get("ID"), order.get("PaymentStatus")
    if not isinstance(order_id, str) or not order_id:
        raise WebhookPayloadError(f"invoice.paid: order {position} has no ID.")
    if not isinstance(word, str) or word.strip().lower() not in PAYMENT_STATUS_WORDS:
        raise WebhookPayloadError(f"invoice.paid: order {position}: {word!r} is not an Arcadier PaymentStatus.")
    details = order.get("PaymentDetails") or []
    if not isinstance(details, list) or not all(isinstance(d, dict) for d in details):
        raise WebhookPayloadError(f"invoice.paid: order {position}: PaymentDetails must be an array of objects.")
    # One payment per order in practice; when Arcadier lists several, the last one is the current state.
    detail: Mapping[str, Any] = details[-1] if details else {}
    return OrderPayment(
        order_id=order_id,
        payment_status=PAYMENT_STATUS_WORDS[word.strip().lower()],
        amount=_amount(detail.get("Total", order.get("Total")), f"order {position} Total"),
        fee=_amount(detail.get("Fee"), f"order {position} Fee"),
        gateway=_gateway(detail),
        paid_at=_unix(detail.get("DateTimePaid"), f"order {position} DateTimePaid"),
    )


def _gateway(detail: Mapping[str, Any]) -> dict[str, str]:
    # Bare names (Code, TransactionID, …), as our orders keep them (payloads.GATEWAY_FIELDS).
    gateway = {
        name: str(detail[f"Gateway{name}"]) for name in GATEWAY_FIELDS if detail.get(f"Gateway{name}") not in (None, "")
    }
    code = detail.get("Gateway")
    if isinstance(code, dict) and code.get("Code"):
        gateway["Code"] = str(code["Code"])
    return gateway


def _amount(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise WebhookPayloadError(f"invoice.paid: {name} must be a number of at least 0.")
    return Decimal(value)


def _unix(value: Any, name: str) -> datetime | None:
    if value in (None, 0):
        return None
    moment = None if isinstance(value, bool) or not isinstance(value, int) or value < 0 else datetime_from_unix(value)
    if moment is None:
        raise WebhookPayloadError(f"{name} must be Unix seconds, not after tomorrow.")
    return moment
