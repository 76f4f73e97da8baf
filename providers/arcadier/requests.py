"""Arcadier's rules for the payments update (`PUT|POST /api/v2/admins/{adminID}/invoices/{invoiceNo}`): the body is
a non-empty array of payments, one per order, and each payment is refused with Arcadier's code and message, in
Arcadier's order: its shape, its InvoiceNo, its GUIDs, its order being one of the invoice's, then its values.

One copy for both sides: the sandbox emulator refuses a payments update by these rules, and the back-office's
mirror refuses the payments its wrapper carries by the very same ones. Pure functions: no I/O, no models.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from providers.validation import is_int, is_number

from .rules import GUID

DENIED = "Authorization has been denied for this request."
NOT_ARRAY = "The body must be a non-empty array of payments, one per order."

# A payment's `Status` -> the PaymentStatus Arcadier gives its order. Arcadier publishes no enum for this field
# and its own documents vary the case ("Waiting For Payment", "Waiting for Payment"), so words are compared
# case-insensitively, as Arcadier does.
PAYMENT_STATUSES: dict[str, str] = {
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
class CheckedPayment:
    """One item of the payments array, accepted: its values as sent, the item itself for the rest."""

    position: int
    item: Mapping[str, Any]
    order_id: str
    payee_id: str | None
    payer_id: str | None
    status: str  # the payment's Status word, as sent
    refunded: bool
    total: Decimal | None
    fee: Decimal | None
    paid: int | None  # DateTimePaid, Unix seconds

    @property
    def payment_status(self) -> str:
        """The PaymentStatus Arcadier gives the order once it applied this payment."""
        return "Refunded" if self.refunded else PAYMENT_STATUSES[self.status.strip().lower()]


def payments(items: Any, order_ids: Collection[str], invoice_numbers: Collection[str]) -> list[CheckedPayment]:
    """The payments array, each item checked against the invoice: its orders' ids and the numbers it goes by
    (the first is the one Arcadier names)."""
    if not isinstance(items, list) or not items:
        raise Refusal(400, "INVALID_BODY", NOT_ARRAY)
    known = {order_id.lower() for order_id in order_ids}
    return [payment(position, item, known, invoice_numbers) for position, item in enumerate(items, start=1)]


def payment(position: int, item: Any, known: Collection[str], invoice_numbers: Collection[str]) -> CheckedPayment:
    """One payment, refused as Arcadier refuses it; `known` holds the invoice's order ids in lower case."""
    if not isinstance(item, dict):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position} must be an object.")
    expected = next(iter(invoice_numbers), "")
    number = item.get("InvoiceNo")
    if number is not None and (not isinstance(number, str) or number not in invoice_numbers):
        raise Refusal(400, "INVOICE_MISMATCH", f"Payment {position}: InvoiceNo {number!r} is not invoice {expected}.")
    order_id = str(guid(item, "Order", position, required=True))
    payee_id = guid(item, "Payee", position, required=False)
    payer_id = guid(item, "Payer", position, required=False)
    if order_id.lower() not in known:
        raise Refusal(
            400, "ORDER_NOT_IN_INVOICE", f"Payment {position}: order {order_id} is not part of invoice {expected}."
        )
    status = item.get("Status")
    if not isinstance(status, str) or status.strip().lower() not in PAYMENT_STATUSES:
        raise Refusal(400, "INVALID_STATUS", f"Payment {position}: Status {status!r} is not a payment status.")
    paid = item.get("DateTimePaid")
    if paid is not None and (not is_int(paid) or paid < 0):
        raise Refusal(400, "INVALID_DATE", f"Payment {position}: DateTimePaid must be Unix seconds.")
    if "Refunded" in item and not isinstance(item["Refunded"], bool):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position}: Refunded must be true or false.")
    gateway = item.get("Gateway")
    if gateway is not None and not isinstance(gateway, dict):
        raise Refusal(400, "INVALID_PAYMENT", f"Payment {position}: Gateway must be an object.")
    return CheckedPayment(
        position=position,
        item=item,
        order_id=order_id,
        payee_id=payee_id,
        payer_id=payer_id,
        status=status,
        refunded=item.get("Refunded") is True,
        total=amount(item, "Total", position),
        fee=amount(item, "Fee", position),
        paid=paid,
    )


def guid(item: Mapping[str, Any], name: str, position: int, *, required: bool) -> str | None:
    """The `ID` of the item's `name` object (Order, Payee, Payer), which must be a GUID when given."""
    holder = item.get(name)
    value = holder.get("ID") if isinstance(holder, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not GUID.match(value):
        raise Refusal(400, "INVALID_GUID", f"Payment {position}: {name}.ID {value!r} is not a valid GUID.")
    return value


def amount(item: Mapping[str, Any], name: str, position: int) -> Decimal | None:
    value = item.get(name)
    if value is None:
        return None
    if not is_number(value) or value < 0:
        raise Refusal(400, "INVALID_AMOUNT", f"Payment {position}: {name} must be a number of at least 0.")
    return Decimal(value)
