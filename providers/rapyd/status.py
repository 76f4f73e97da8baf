"""Rapyd's invoice statuses, our canonical ones, and the Rapyd endpoint that makes each move.

Rapyd's finite-state diagram: draft -> open (finalize, once) -> paid | uncollectible | void; uncollectible ->
paid | void; draft -> deleted. A deleted draft is what our `void` means for a draft. Rapyd has no refunded
invoice: refunds belong to the payment, not the invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoices.lifecycle import InvoiceStatus as S

DRAFT, OPEN, PAID, UNCOLLECTIBLE, VOID, DELETED = "draft", "open", "paid", "uncollectible", "void", "deleted"

TO_RAPYD: dict[str, str] = {
    S.DRAFT: DRAFT,
    S.OPEN: OPEN,
    S.PAID: PAID,
    S.UNCOLLECTIBLE: UNCOLLECTIBLE,
    S.VOID: VOID,
}

FROM_RAPYD: dict[str, str] = {
    DRAFT: S.DRAFT,
    OPEN: S.OPEN,
    PAID: S.PAID,
    UNCOLLECTIBLE: S.UNCOLLECTIBLE,
    VOID: S.VOID,
    DELETED: S.VOID,
}


def to_rapyd(status: str) -> str | None:
    """Rapyd's word for our status, or None when Rapyd has no such invoice state (refunded)."""
    return TO_RAPYD.get(status)


def from_rapyd(remote_status: str) -> str | None:
    return FROM_RAPYD.get(remote_status)


@dataclass(frozen=True)
class Move:
    """One Rapyd call that moves an invoice: `suffix` is appended to /v1/invoices/{invoice}."""

    name: str
    method: str
    suffix: str


FINALIZE = Move("finalize", "POST", "/finalize")
PAY = Move("pay", "POST", "/pay")
VOID_MOVE = Move("void", "POST", "/void")
MARK_UNCOLLECTIBLE = Move("mark_uncollectible", "POST", "/mark_uncollectible")
DELETE = Move("delete", "DELETE", "")

# (our from, our to) -> the Rapyd call. Anything missing here Rapyd refuses.
MOVES: dict[tuple[str, str], Move] = {
    (S.DRAFT, S.OPEN): FINALIZE,
    (S.DRAFT, S.VOID): DELETE,
    (S.OPEN, S.PAID): PAY,
    (S.OPEN, S.UNCOLLECTIBLE): MARK_UNCOLLECTIBLE,
    (S.OPEN, S.VOID): VOID_MOVE,
    (S.UNCOLLECTIBLE, S.PAID): PAY,
    (S.UNCOLLECTIBLE, S.VOID): VOID_MOVE,
}

# The way from a freshly created draft to each status, for an invoice Rapyd has not seen yet.
FROM_NEW_DRAFT: dict[str, tuple[Move, ...]] = {
    S.DRAFT: (),
    S.OPEN: (FINALIZE,),
    S.PAID: (FINALIZE, PAY),
    S.UNCOLLECTIBLE: (FINALIZE, MARK_UNCOLLECTIBLE),
}


def move_for(from_status: str | None, to_status: str) -> Move | None:
    if from_status is not None:
        return MOVES.get((from_status, to_status))
    # Without a known origin, take the one call (deletion aside) that reaches the target: void means /void.
    targets = {m for (_, to), m in MOVES.items() if to == to_status and m is not DELETE}
    return targets.pop() if len(targets) == 1 else None
