"""The one status lifecycle of an invoice, as data (after django-oscar's status pipeline).

Provider vocabularies (Rapyd's `open`, modulus' `STATUS_SENT`, Arcadier's `Waiting For Payment`, VTEX `invoiced`)
are mapped onto these statuses in each provider's adapter; nothing outside `providers/` speaks them.
"""

from __future__ import annotations

from collections import deque

from django.db import models


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open (sent)"
    PAID = "paid", "Paid"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"
    VOID = "void", "Void"
    REFUNDED = "refunded", "Refunded"


S = InvoiceStatus

# from → allowed destinations. Rapyd's finite-state diagram is the strictest of the five and shapes the table:
# draft → open (finalize) → paid | uncollectible | void; uncollectible → paid | void. A draft may be voided
# (Rapyd deletes drafts; the others void them). Paid invoices are only refunded (Arcadier `Refunded`, VTEX `Input`).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.OPEN, S.VOID}),
    S.OPEN: frozenset({S.PAID, S.UNCOLLECTIBLE, S.VOID}),
    S.UNCOLLECTIBLE: frozenset({S.PAID, S.VOID}),
    S.PAID: frozenset({S.REFUNDED}),
    S.VOID: frozenset(),
    S.REFUNDED: frozenset(),
}

FINAL_STATUSES: frozenset[str] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class IllegalTransition(Exception):
    """A status change the lifecycle, or the invoice's provider, does not allow."""

    def __init__(self, from_status: str, to_status: str, detail: str = "") -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.detail = detail
        message = f"Cannot change an invoice from {label(from_status)} to {label(to_status)}"
        super().__init__(f"{message}: {detail}" if detail else f"{message}.")


def lifecycle_path(from_status: str, to_status: str) -> tuple[str, ...] | None:
    """The shortest walk along the table from one status to another: the statuses after `from_status`, in order
    (draft → paid is ("open", "paid")); () when they are equal; None when the table never leads there."""
    if from_status == to_status:
        return ()
    previous: dict[str, str] = {from_status: ""}
    queue = deque([from_status])
    while queue:
        status = queue.popleft()
        for target in sorted(TRANSITIONS.get(status, frozenset())):
            if target in previous:
                continue
            previous[target] = status
            if target == to_status:
                path = [target]
                while previous[path[-1]] != from_status:
                    path.append(previous[path[-1]])
                return tuple(reversed(path))
            queue.append(target)
    return None


def label(status: str) -> str:
    try:
        return f"'{InvoiceStatus(status).label}'"
    except ValueError:
        return repr(status)


def allowed_targets(from_status: str) -> frozenset[str]:
    return TRANSITIONS.get(from_status, frozenset())


def is_allowed(from_status: str, to_status: str) -> bool:
    return to_status in allowed_targets(from_status)


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in InvoiceStatus.values:
        raise IllegalTransition(from_status, to_status, "unknown status")
    if from_status == to_status:
        raise IllegalTransition(from_status, to_status, "the invoice already has that status")
    if not is_allowed(from_status, to_status):
        targets = ", ".join(sorted(label(t) for t in allowed_targets(from_status))) or "none (final status)"
        raise IllegalTransition(from_status, to_status, f"allowed from there: {targets}")
