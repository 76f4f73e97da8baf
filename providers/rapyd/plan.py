"""The Rapyd calls one push makes, in order: a pure plan that preview shows and push carries out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.base import Change, InvoiceData

from .payloads import PayloadError, create_body, update_body
from .status import FROM_NEW_DRAFT, Move, move_for

INVOICE_PLACEHOLDER = "{invoice}"  # in a previewed URL: the id Rapyd gives the invoice it is about to create


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    idempotency_key: str


def invoice_path(remote_id: str, suffix: str = "") -> str:
    return f"/v1/invoices/{remote_id}{suffix}"


def plan(invoice: InvoiceData, change: Change) -> list[Step]:
    """The Rapyd calls a push makes, in order. Raises PayloadError when Rapyd cannot express the change."""
    remote_id = invoice.remote_id
    to_status = change.to_status
    steps: list[tuple[str, str, str, dict[str, Any] | None]] = []
    if not remote_id:
        if to_status == "void":
            return []  # Rapyd never saw it: there is nothing to void or delete there
        moves = FROM_NEW_DRAFT.get(to_status or "draft")
        if moves is None:
            raise PayloadError(f"Rapyd has no invoice state for {to_status!r}")
        steps.append(("create", "POST", "/v1/invoices", create_body(invoice)))
        steps.extend(_move(INVOICE_PLACEHOLDER, move) for move in moves)
    elif to_status is None:
        steps.append(("update", "POST", invoice_path(remote_id), update_body(invoice)))
    else:
        move = move_for(change.from_status, to_status)
        if move is None:
            raise PayloadError(f"Rapyd has no call from {change.from_status!r} to {to_status!r}")
        steps.append(_move(remote_id, move))
    # The change's own key goes on its last call; the calls leading to it get derived keys, so that a retried
    # push replays each of them (a retried create returns the same invoice instead of making a second one).
    last = len(steps) - 1
    return [
        Step(
            name,
            method,
            path,
            body,
            change.idempotency_key if i == last else f"{change.idempotency_key}:{name}",
        )
        for i, (name, method, path, body) in enumerate(steps)
    ]


def _move(remote_id: str, move: Move) -> tuple[str, str, str, dict[str, Any] | None]:
    return (move.name, move.method, invoice_path(remote_id, move.suffix), None)
