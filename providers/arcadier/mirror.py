"""The Arcadier mirror's vocabulary: the wrapper's request (`{"token", "data": [payments]}`, the data being
Arcadier's own payments array), validated as Arcadier validates it; the payments read into our order fields;
and Arcadier's answers (the payments array, its `{"Message", "Code"}` error body, accepted-and-queued).

Pure functions over plain data: no database, no HTTP. The view finds the invoice and records the change.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from providers.base import InvoiceData, OrderData

from .payloads import GATEWAY_FIELDS
from .rules import GUID
from .status import EXPECTED_ORDER_STATUS, from_order_status, to_payment_status

DENIED = "Authorization has been denied for this request."
NOT_ARRAY = "The body must be a non-empty array of payments, one per order."

# A payment's `Status` -> the PaymentStatus Arcadier gives its order. Arcadier publishes no enum for this field
# and its own documents vary the case ("Waiting For Payment", "Waiting for Payment"), so words are compared
# case-insensitively, as Arcadier does.
PAYMENT_WORDS: dict[str, str] = {
    "success": "Paid",
    "paid": "Paid",
    "acknowledged": "Acknowledged",
    "processing": "Processing",
    "waiting for payment": "Waiting for Payment",
    "pending": "Pending",
    "failed": "Failed",
    "refunded": "Refunded",
}


class Refusal(Exception):
    """A request Arcadier would refuse: its HTTP status, the rule's code and Arcadier's message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Payment:
    """One item of the payments array, in our terms."""

    position: int
    order_id: str
    payment_status: str  # the order's PaymentStatus once Arcadier applied the payment
    payee_id: str | None = None
    payer_id: str | None = None
    total: Decimal | None = None
    fee: Decimal | None = None
    paid_at: datetime | None = None
    gateway: dict[str, str] = field(default_factory=dict)  # bare names: Code, TransactionID, …, RefundedRef


# -- the request ---------------------------------------------------------------------------------------------
def body_token(body: bytes) -> str | None:
    """The caller's token as the wrapper takes it, in the body's `token`; None when the body has none."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    token = document.get("token") if isinstance(document, dict) else None
    return token.strip() if isinstance(token, str) and token.strip() else None


def read_payments(document: Any, orders: Sequence[OrderData], invoice_numbers: Collection[str]) -> list[Payment]:
    """The wrapper's body -> the payments it carries, each refused as Arcadier refuses it, in Arcadier's order:
    the item's shape, its InvoiceNo, its GUIDs, its order being one of the invoice's, then its values."""
    items = document.get("data") if isinstance(document, dict) else None
    if not isinstance(items, list) or not items:
        raise Refusal(400, "INVALID_BODY", NOT_ARRAY)
    known = {order.order_id.lower() for order in orders}
    return [_payment(position, item, known, invoice_numbers) for position, item in enumerate(items, start=1)]


def _payment(position: int, item: Any, known: Collection[str], invoice_numbers: Collection[str]) -> Payment:
    if not isinstance(item, dict):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position} must be an object.")
    number = item.get("InvoiceNo")
    if number is not None and (not isinstance(number, str) or number not in invoice_numbers):
        expected = next(iter(invoice_numbers), "")
        raise Refusal(400, "INVOICE_MISMATCH", f"Payment {position}: InvoiceNo {number!r} is not invoice {expected}.")
    order_id = str(_guid(item, "Order", position, required=True))
    payee_id = _guid(item, "Payee", position, required=False)
    payer_id = _guid(item, "Payer", position, required=False)
    if order_id.lower() not in known:
        raise Refusal(400, "ORDER_NOT_IN_INVOICE", f"Payment {position}: order {order_id} is not part of this invoice.")
    # The wrapper's own page spells the field `PaymentStatus` in its offline-payment tip: read as `Status`.
    word = item.get("Status", item.get("PaymentStatus"))
    if not isinstance(word, str) or word.strip().lower() not in PAYMENT_WORDS:
        raise Refusal(400, "INVALID_STATUS", f"Payment {position}: Status {word!r} is not a payment status.")
    paid = item.get("DateTimePaid")
    if paid is not None and (isinstance(paid, bool) or not isinstance(paid, int) or paid < 0):
        raise Refusal(400, "INVALID_DATE", f"Payment {position}: DateTimePaid must be Unix seconds.")
    refunded = item.get("Refunded")
    if refunded is not None and not isinstance(refunded, bool):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position}: Refunded must be true or false.")
    gateway = _gateway(item, position)
    return Payment(
        position=position,
        order_id=order_id,
        payment_status="Refunded" if refunded else PAYMENT_WORDS[word.strip().lower()],
        payee_id=payee_id,
        payer_id=payer_id,
        total=_amount(item, "Total", position),
        fee=_amount(item, "Fee", position),
        paid_at=datetime.fromtimestamp(paid, tz=UTC) if paid else None,
        gateway=gateway,
    )


def _guid(item: Mapping[str, Any], name: str, position: int, *, required: bool) -> str | None:
    holder = item.get(name)
    value = holder.get("ID") if isinstance(holder, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not GUID.match(value):
        raise Refusal(400, "INVALID_GUID", f"Payment {position}: {name}.ID {value!r} is not a valid GUID.")
    return value


def _amount(item: Mapping[str, Any], name: str, position: int) -> Decimal | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise Refusal(400, "INVALID_AMOUNT", f"Payment {position}: {name} must be a number of at least 0.")
    return Decimal(value)


def _gateway(item: Mapping[str, Any], position: int) -> dict[str, str]:
    gateway = item.get("Gateway")
    if gateway is not None and not isinstance(gateway, dict):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position}: Gateway must be an object.")
    fields: dict[str, str] = {}
    if gateway and gateway.get("Code") is not None:
        fields["Code"] = str(gateway["Code"])
    # Kept under their bare names, the spelling the adapter reads first, so a new value never hides behind an
    # older one stored bare.
    for name in GATEWAY_FIELDS:
        if item.get(f"Gateway{name}") is not None:
            fields[name] = str(item[f"Gateway{name}"])
    if item.get("RefundedRef") is not None:
        fields["RefundedRef"] = str(item["RefundedRef"])
    return fields


# -- the payments applied to the invoice's orders ---------------------------------------------------------------
def apply_payments(payments: Sequence[Payment], orders: Sequence[OrderData]) -> list[dict[str, Any]]:
    """The invoice's orders once the payments are applied, as the service takes them (`orders=`).

    A payment naming a payee or payer must name the order's own; a later payment for the same order wins, as
    at Arcadier, which applies the array in order."""
    by_id = {order.order_id.lower(): order_fields(order) for order in orders}
    for payment in payments:
        current = by_id[payment.order_id.lower()]
        for holder, ref, given in (
            ("Payee", "payee_ref", payment.payee_id),
            ("Payer", "payer_ref", payment.payer_id),
        ):
            if given is None:
                continue
            if current[ref] and current[ref].lower() != given.lower():
                raise Refusal(
                    400,
                    f"{holder.upper()}_MISMATCH",
                    f"Payment {payment.position}: {holder}.ID {given} is not the {holder.lower()} of order "
                    f"{current['order_id']}.",
                )
            current[ref] = current[ref] or given
        current["payment_status"] = payment.payment_status
        if payment.total is not None:
            current["amount"] = payment.total
        if payment.fee is not None:
            current["fee"] = payment.fee
        if payment.paid_at is not None:
            current["paid_at"] = payment.paid_at
        current["gateway"] = {**current["gateway"], **payment.gateway}
    return list(by_id.values())


def order_fields(order: OrderData) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "payee_ref": order.payee_ref,
        "payer_ref": order.payer_ref,
        "payment_status": order.payment_status,
        "amount": order.amount,
        "fee": order.fee,
        "gateway": dict(order.gateway),
        "paid_at": order.paid_at,
    }


def target_status(orders: Sequence[Mapping[str, Any]]) -> str:
    """Our status for the invoice as its orders now stand.

    We keep one status per invoice and push it to every order, so orders left in different states (one paid,
    one awaiting payment) cannot be carried to Arcadier as asked: that is refused rather than half applied."""
    statuses = {from_order_status(str(order["payment_status"] or "Pending")) for order in orders}
    if None in statuses or len(statuses) != 1:
        words = ", ".join(sorted({str(order["payment_status"]) for order in orders}))
        raise Refusal(
            400,
            "MIXED_PAYMENT_STATUSES",
            f"The orders of an invoice are updated together: every order must end in one payment status "
            f"(they would be {words}).",
        )
    status = statuses.pop()
    assert status is not None
    return status


def without_status(orders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in order.items() if k != "payment_status"} for order in orders]


# -- answers -------------------------------------------------------------------------------------------------
def error_body(code: str, message: str) -> dict[str, str]:
    """ASP.NET Web API's error body, with the `Code` naming the rule, as Arcadier answers."""
    return {"Message": message, "Code": code}


def payments_answer(
    payments: Sequence[Payment], invoice: InvoiceData, reported: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Arcadier's answer to the payments update: one payment object per item sent, in the order sent.

    `reported` is what Arcadier answered (the adapter's reading of it: invoice_no and each order's
    payment_status, total, fee, paid_at); without it the answer shows the orders as recorded here, in the
    payment status the queued push will give them."""
    recorded = {order.order_id.lower(): order for order in invoice.orders}
    from_arcadier = {str(order.get("order_id", "")).lower(): order for order in (reported or {}).get("orders") or []}
    number = str((reported or {}).get("invoice_no") or invoice.remote_number or invoice.number)
    word = to_payment_status(invoice.status) or ""
    return [
        _payment_view(number, recorded[p.order_id.lower()], from_arcadier.get(p.order_id.lower()), invoice, word)
        for p in payments
        if p.order_id.lower() in recorded
    ]


def _payment_view(
    number: str, order: OrderData, reported: Mapping[str, Any] | None, invoice: InvoiceData, word: str
) -> dict[str, Any]:
    reported = reported or {}
    # Not reported yet (queued): the PaymentStatus Arcadier gives every order once the push of the invoice's
    # status is through, which is what the caller will read back there.
    expected = EXPECTED_ORDER_STATUS.get(invoice.status, order.payment_status)
    status = str(reported.get("payment_status") or expected)
    total = _decimal(reported.get("total"), order.amount)
    fee = _decimal(reported.get("fee"), order.fee)
    paid_at = _moment(reported.get("paid_at")) or order.paid_at
    gateway = order.gateway or {}
    view: dict[str, Any] = {
        "InvoiceNo": number,
        "Payee": {"ID": order.payee_ref or None},
        "Payer": {"ID": order.payer_ref or None},
        "Order": {"ID": order.order_id, "PaymentStatus": status},
        "Total": total,
        "Fee": fee,
        "Status": word,
        "Refunded": status == "Refunded",
        "RefundedRef": gateway.get("RefundedRef"),
        "Gateway": {"Code": gateway.get("Code")},
    }
    for name in GATEWAY_FIELDS:
        value = gateway.get(name, gateway.get(f"Gateway{name}"))
        view[f"Gateway{name}"] = None if value is None else str(value)
    view["CurrencyCode"] = invoice.currency
    view["DateTimePaid"] = int(paid_at.timestamp()) if paid_at else 0
    return view


def queued_answer(payments_view: Sequence[Mapping[str, Any]], delivery_id: int) -> list[dict[str, Any]]:
    """Accepted and queued (202): the payments as recorded here, each naming the delivery that carries them."""
    return [{**item, "DeliveryID": delivery_id} for item in payments_view]


def email_sent() -> dict[str, Any]:
    """What Arcadier answers once it sent its invoice email."""
    return {"Result": True}


def email_queued(delivery_id: int) -> dict[str, Any]:
    return {"Result": True, "DeliveryID": delivery_id}


def _decimal(value: Any, fallback: Decimal | None) -> Decimal | None:
    if value is None:
        return fallback
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return fallback


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
