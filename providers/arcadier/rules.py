"""What Arcadier would refuse, checked before a change is recorded.

Each function answers with the refusal's wording, or "" when Arcadier would accept; the adapter raises.
"""

from __future__ import annotations

import re

from invoices.lifecycle import InvoiceStatus
from providers.base import InvoiceData

from .status import to_payment_status

S = InvoiceStatus
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

SETTLED = frozenset({S.PAID, S.REFUNDED, S.VOID})
# Once Arcadier has settled an invoice's payments, the orders they paid and the invoice number they were
# booked under are history there: changing them here would aim later pushes at payments that do not match.
SETTLED_FIELDS = frozenset({"orders", "remote_number"})


def refusal_for_transition(invoice: InvoiceData, to_status: str) -> str:
    if to_status == S.UNCOLLECTIBLE:
        return "Arcadier has no uncollectible state"
    if to_status_needs_orders(to_status) and not invoice.orders:
        return "Arcadier invoices tie up orders, and this invoice has none"
    if to_payment_status(to_status) is not None:
        for order in invoice.orders:
            for what, value in (
                ("order", order.order_id),
                ("payee", order.payee_ref),
                ("payer", order.payer_ref),
            ):
                if value and not GUID.match(value):
                    return f"Arcadier identifies orders, payees and payers by GUID; {what} {value!r} is not one"
    return ""


def to_status_needs_orders(to_status: str) -> bool:
    # A void invoice that never reached Arcadier has nothing to void there; every other state updates orders.
    return to_status in (S.OPEN, S.PAID, S.REFUNDED)


def refusal_for_edit(invoice: InvoiceData, changed_fields: set[str]) -> str:
    # Arcadier's checkout fixes the invoice's currency; every amount we push is read in it.
    if invoice.status != S.DRAFT and "currency" in changed_fields:
        return "Arcadier fixes an invoice's currency at checkout: it cannot change once the invoice was sent"
    settled = sorted(SETTLED_FIELDS & changed_fields)
    if invoice.status in SETTLED and settled:
        names = " and ".join(name.replace("remote_", "invoice ") for name in settled)
        return f"Arcadier has settled the payments of this invoice: its {names} cannot change any more"
    return ""
