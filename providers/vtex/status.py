"""VTEX order statuses and our invoice statuses, both ways.

VTEX has no status per invoice: an invoice is a package attached to an order, and the order's status is what
VTEX reports. Until the order is invoiced our invoice is still a draft there; `invoiced` is final (VTEX
refuses any later status change), and a canceled order is our void. Paid, uncollectible and refunded have no
VTEX word: the payment gateway settles an invoiced order on its own, and a refund is a separate `Input`
invoice, not a status.
"""

from __future__ import annotations

from invoices.lifecycle import InvoiceStatus

S = InvoiceStatus

TO_VTEX: dict[str, str] = {
    S.DRAFT: "ready-for-handling",
    S.OPEN: "invoiced",
    S.VOID: "canceled",
}

# The order statuses of VTEX's order flow. Everything before invoicing is a draft on our side.
_BEFORE_INVOICING = (
    "order-created",
    "order-completed",
    "on-order-completed",
    "payment-pending",
    "waiting-for-order-authorization",
    "waiting-for-manual-authorization",
    "waiting-ffmt-authorization",
    "approve-payment",
    "payment-approved",
    "payment-denied",
    "request-cancel",
    "waiting-for-seller-decision",
    "authorize-fulfillment",
    "window-to-cancel",
    "ready-for-handling",
    "start-handling",
    "handling",
    "order-accepted",
    "order-create-error",
    "order-creation-error",
)

FROM_VTEX: dict[str, str] = {
    **dict.fromkeys(_BEFORE_INVOICING, S.DRAFT),
    "invoice": S.OPEN,  # "verifying invoice": the invoice was received and is being checked
    "invoiced": S.OPEN,
    "invoice-after-cancellation-deny": S.OPEN,
    "cancel": S.VOID,
    "canceled": S.VOID,
}

INVOICED = TO_VTEX[S.OPEN]


def to_vtex(status: str) -> str | None:
    """The order status VTEX shows for an invoice in our `status`; None where VTEX has no such state."""
    return TO_VTEX.get(status)


def from_vtex(remote_status: str) -> str | None:
    """Our status for a VTEX order status; None for a word VTEX does not document."""
    return FROM_VTEX.get(remote_status.strip().lower())
