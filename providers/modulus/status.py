"""Our statuses in modulus' words, both ways.

modulus knows three invoice statuses. Creation takes STATUS_DRAFT or STATUS_SENT; the update endpoint takes
only STATUS_SENT and STATUS_VOID. Paid, uncollectible and refunded have no modulus word: modulus settles
invoices through its own receipts, so those moves are refused for modulus invoices (the adapter's rules).
"""

from __future__ import annotations

from invoices.lifecycle import InvoiceStatus

S = InvoiceStatus

SENT = "STATUS_SENT"
VOID = "STATUS_VOID"
DRAFT = "STATUS_DRAFT"

TO_MODULUS: dict[str, str] = {S.DRAFT: DRAFT, S.OPEN: SENT, S.VOID: VOID}
FROM_MODULUS: dict[str, str] = {word: ours for ours, word in TO_MODULUS.items()}

# What each endpoint accepts, in our terms.
UPDATABLE: frozenset[str] = frozenset({S.OPEN, S.VOID})
CREATABLE: frozenset[str] = frozenset({S.DRAFT, S.OPEN})


def to_modulus(status: str) -> str | None:
    return TO_MODULUS.get(status)


def from_modulus(word: str) -> str | None:
    return FROM_MODULUS.get(word.strip().upper())
