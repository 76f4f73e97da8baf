"""Arcadier's request bodies from our invoice data, and its answers back into our fields. Pure functions.

Amounts are Decimals in major units (Arcadier is a .NET API with decimal fields); bodies are written with
providers.jsonnumbers, so they become exact JSON numbers and never pass through float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from invoices.lifecycle import InvoiceStatus
from invoices.money import round_money
from providers.base import InvoiceData, OrderData

from .status import EXPECTED_ORDER_STATUS, from_order_status, invoice_status, to_payment_status

# Gateway fields as an order's gateway dict names them: bare, or with the "Gateway" prefix Arcadier uses.
GATEWAY_FIELDS = (
    "PayKey",
    "TransactionID",
    "Status",
    "TimeStamp",
    "Ref",
    "CorrelationId",
    "SenderId",
    "SenderRef",
    "ReceiverId",
    "ReceiverRef",
    "Payload",
)

# The payment `Status` words Arcadier answers with, for answers that do not carry the order's PaymentStatus.
_PAYMENT_WORD_STATUS: dict[str, str] = {
    "success": InvoiceStatus.PAID,
    "waiting for payment": InvoiceStatus.OPEN,
    "refunded": InvoiceStatus.REFUNDED,
    "failed": InvoiceStatus.VOID,
}


class UnreadableAnswer(ValueError):
    """Arcadier answered 2xx with a body that is not the documented shape."""


# -- requests ------------------------------------------------------------------------------------------------
def invoice_no(invoice: InvoiceData) -> str:
    """Arcadier's invoice number (assigned at checkout); our own number when none was recorded."""
    return invoice.remote_number or invoice.number


def token_form(credentials: Mapping[str, str]) -> dict[str, str]:
    return {
        "client_id": credentials.get("client_id", ""),
        "client_secret": credentials.get("client_secret", ""),
        "grant_type": "client_credentials",
        "scope": "admin",
    }


def payments_body(invoice: InvoiceData, status: str) -> list[dict[str, Any]]:
    """The body of PUT /api/v2/admins/{adminID}/invoices/{invoiceNo}: one payment object per order."""
    word = to_payment_status(status)
    if word is None:
        raise ValueError(f"Arcadier has no payment status for {status!r}")
    number = invoice_no(invoice)
    return [_payment(invoice, order, number, status, word) for order in invoice.orders]


def _payment(invoice: InvoiceData, order: OrderData, number: str, status: str, word: str) -> dict[str, Any]:
    gateway = order.gateway or {}
    item: dict[str, Any] = {"InvoiceNo": number}
    if order.payee_ref:
        item["Payee"] = {"ID": order.payee_ref}
    if order.payer_ref:
        item["Payer"] = {"ID": order.payer_ref}
    item["Order"] = {"ID": order.order_id}
    # Omitted amounts are filled in by Arcadier from the order when the payment succeeds.
    if order.amount is not None:
        item["Total"] = round_money(order.amount, invoice.currency)
    if order.fee is not None:
        item["Fee"] = round_money(order.fee, invoice.currency)
    item["Status"] = word
    if status == InvoiceStatus.REFUNDED:
        item["Refunded"] = True
        if gateway.get("RefundedRef"):
            item["RefundedRef"] = str(gateway["RefundedRef"])
    if gateway.get("Code"):
        item["Gateway"] = {"Code": str(gateway["Code"])}
    for name in GATEWAY_FIELDS:
        value = gateway.get(name, gateway.get(f"Gateway{name}"))
        if value not in (None, ""):
            item[f"Gateway{name}"] = str(value)
    item["DateTimePaid"] = _unix(order.paid_at or (invoice.paid_at if status in _SETTLED else None))
    return item


_SETTLED = frozenset({InvoiceStatus.PAID, InvoiceStatus.REFUNDED})


def _unix(moment: datetime | None) -> int:
    # Arcadier's own example sends 0 when nothing was paid yet.
    return int(moment.timestamp()) if moment else 0


def email_body(invoice: InvoiceData) -> dict[str, str]:
    return {"Type": "invoice", "InvoiceNo": invoice_no(invoice)}


# -- answers -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderState:
    order_id: str
    payment_status: str
    total: Decimal | None = None
    fee: Decimal | None = None
    paid_at: datetime | None = None

    @property
    def status(self) -> str | None:
        return from_order_status(self.payment_status)

    def as_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "payment_status": self.payment_status,
            "total": None if self.total is None else str(self.total),
            "fee": None if self.fee is None else str(self.fee),
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
        }


@dataclass(frozen=True)
class InvoiceState:
    """An Arcadier invoice in our fields: its number, its orders' payment states and their overall status."""

    invoice_no: str
    orders: tuple[OrderState, ...]
    currency: str = ""

    @property
    def status(self) -> str | None:
        return invoice_status(order.payment_status for order in self.orders)

    @property
    def remote_status(self) -> str:
        words = list(dict.fromkeys(order.payment_status for order in self.orders))
        return ", ".join(words)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"invoice_no": self.invoice_no, "orders": [o.as_data() for o in self.orders]}
        if self.currency:
            data["currency"] = self.currency
        return data


def read_payments(answer: Any, number: str) -> InvoiceState:
    """The answer to the payments update: the payment objects, each naming its order and its PaymentStatus."""
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise UnreadableAnswer("an invoice payments answer that is not an array of payments")
    orders = []
    for item in answer:
        order = _object(item.get("Order"))
        word = order.get("PaymentStatus") or _order_word(item.get("Status"))
        orders.append(
            OrderState(
                order_id=_text(order.get("ID")),
                payment_status=_text(word),
                total=_money(item.get("Total")),
                fee=_money(item.get("Fee")),
                paid_at=_moment(item.get("DateTimePaid")),
            )
        )
    return InvoiceState(invoice_no=_text(answer[0].get("InvoiceNo")) if answer else number, orders=tuple(orders))


def read_transaction(answer: Any) -> InvoiceState:
    """GET …/admins/{adminID}/transactions/{invoiceNo}: the invoice, its Orders and their PaymentStatus."""
    if not isinstance(answer, dict) or not isinstance(answer.get("Orders"), list):
        raise UnreadableAnswer("a transaction without its orders")
    orders = []
    for raw in answer["Orders"]:
        order = _object(raw)
        details = [d for d in order.get("PaymentDetails") or [] if isinstance(d, dict)]
        last = details[-1] if details else {}
        orders.append(
            OrderState(
                order_id=_text(order.get("ID")),
                payment_status=_text(order.get("PaymentStatus")),
                total=_money(order.get("GrandTotal", last.get("Total"))),
                fee=_money(last.get("Fee")),
                paid_at=_moment(last.get("DateTimePaid")),
            )
        )
    return InvoiceState(
        invoice_no=_text(answer.get("InvoiceNo")),
        orders=tuple(orders),
        currency=_text(answer.get("CurrencyCode")),
    )


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    admin_id: str
    expires_in: float  # 0 when Arcadier did not say
    refresh_token: str = field(default="", repr=False)


def read_token(answer: Any) -> Token:
    """POST /token: `{access_token, token_type, expires_in, refresh_token, UserId}`; UserId is the admin."""
    if not isinstance(answer, dict):
        raise UnreadableAnswer("a token answer that is not an object")
    access_token, admin_id = answer.get("access_token"), answer.get("UserId")
    if not isinstance(access_token, str) or not access_token or not isinstance(admin_id, str) or not admin_id:
        raise UnreadableAnswer("a token answer without access_token or UserId")
    expires_in = answer.get("expires_in")
    refresh_token = answer.get("refresh_token")
    return Token(
        access_token=access_token,
        admin_id=admin_id,
        expires_in=float(expires_in) if isinstance(expires_in, int) and expires_in > 0 else 0.0,
        refresh_token=refresh_token if isinstance(refresh_token, str) else "",
    )


def _order_word(payment_word: Any) -> str:
    status = _PAYMENT_WORD_STATUS.get(_text(payment_word).lower())
    if status is None:
        return _text(payment_word)
    return EXPECTED_ORDER_STATUS[status]


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnreadableAnswer("an order that is not an object")
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    raise UnreadableAnswer("an amount that is not a number")


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)
