"""The Arcadier mirror's vocabulary: the wrapper's request (`{"token", "data": [payments]}`, the data being
Arcadier's own payments array), validated as Arcadier validates it (requests.py, the rules the sandbox emulator
applies too); the payments read into our order fields; and Arcadier's answers (the payments array, its
`{"Message", "Code"}` error body, accepted-and-queued).

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

from . import requests
from .payloads import GATEWAY_FIELDS
from .requests import DENIED as DENIED
from .requests import NOT_ARRAY as NOT_ARRAY
from .requests import Refusal as Refusal
from .status import EXPECTED_ORDER_STATUS, from_order_status, to_payment_status


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
    """The wrapper's body -> the payments it carries, each refused as Arcadier refuses it (requests.py), against
    the invoice's orders and the numbers it goes by (Arcadier's first)."""
    items = document.get("data") if isinstance(document, dict) else None
    if isinstance(items, list):
        items = [_wrapper_item(item) for item in items]
    checked = requests.payments(items, [order.order_id for order in orders], invoice_numbers)
    return [_payment(payment) for payment in checked]


def _wrapper_item(item: Any) -> Any:
    """An item as the wrapper reads it before Arcadier's rules apply. The wrapper is a little more lenient than
    Arcadier in two spellings, so these stay here rather than in requests.py, which is Arcadier's alone."""
    if not isinstance(item, dict):
        return item
    item = dict(item)
    # The wrapper's own page spells the field `PaymentStatus` in its offline-payment tip: read as `Status`.
    if "Status" not in item and "PaymentStatus" in item:
        item["Status"] = item["PaymentStatus"]
    # The wrapper reads a null Refunded as not sent; Arcadier takes only true or false once the field is there.
    if "Refunded" in item and item["Refunded"] is None:
        del item["Refunded"]
    return item


def _payment(payment: requests.CheckedPayment) -> Payment:
    return Payment(
        position=payment.position,
        order_id=payment.order_id,
        payment_status=payment.payment_status,
        payee_id=payment.payee_id,
        payer_id=payment.payer_id,
        total=payment.total,
        fee=payment.fee,
        paid_at=datetime.fromtimestamp(payment.paid, tz=UTC) if payment.paid else None,
        gateway=_gateway(payment.item),
    )


def _gateway(item: Mapping[str, Any]) -> dict[str, str]:
    gateway = item.get("Gateway") or {}
    fields: dict[str, str] = {}
    if gateway.get("Code") is not None:
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
