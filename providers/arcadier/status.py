"""Our statuses in Arcadier's words, both ways.

Arcadier has two vocabularies: the `Status` of a payment we send (documented values "Success" and, for
offline payment, "Waiting For Payment"; no official enum), and the `PaymentStatus` of each order it
reports back (Paid, Acknowledged, Processing, Waiting for Payment, Pending, Failed, Refunded). An invoice
spans several orders, so our status on the way back is derived from all of its orders.
"""

from __future__ import annotations

from collections.abc import Iterable

from invoices.lifecycle import InvoiceStatus

S = InvoiceStatus

# Our status -> the `Status` of each payment pushed. Draft and uncollectible have no Arcadier equivalent: an
# invoice exists there only once checked out, and Arcadier never writes a debt off.
PAYMENT_STATUS: dict[str, str] = {
    S.OPEN: "Waiting For Payment",
    S.PAID: "Success",
    S.REFUNDED: "Refunded",
    S.VOID: "Failed",
}

# An order's `PaymentStatus` -> our status (lower-cased keys: Arcadier writes "Waiting For/for Payment").
ORDER_STATUS: dict[str, str] = {
    "paid": S.PAID,
    "acknowledged": S.OPEN,
    "processing": S.OPEN,
    "waiting for payment": S.OPEN,
    "pending": S.OPEN,
    "failed": S.VOID,
    "refunded": S.REFUNDED,
}

# The `PaymentStatus` Arcadier gives an order once a payment with our status was accepted.
EXPECTED_ORDER_STATUS: dict[str, str] = {
    S.OPEN: "Waiting for Payment",
    S.PAID: "Paid",
    S.REFUNDED: "Refunded",
    S.VOID: "Failed",
}


def to_payment_status(status: str) -> str | None:
    """The payment `Status` to push for our status, or None when Arcadier has no such state."""
    return PAYMENT_STATUS.get(status)


def from_order_status(payment_status: str) -> str | None:
    return ORDER_STATUS.get(payment_status.strip().lower())


def invoice_status(order_statuses: Iterable[str]) -> str | None:
    """Our status for an invoice from its orders' PaymentStatus: the shared status when they agree; otherwise
    an order still awaiting payment keeps the invoice open; a paid order outweighs refunded or failed ones."""
    mapped = [from_order_status(word) for word in order_statuses]
    known = [status for status in mapped if status is not None]
    if not known:
        return None
    if len(set(known)) == 1:
        return known[0]
    for status in (S.OPEN, S.PAID, S.REFUNDED):
        if status in known:
            return status
    return S.VOID
