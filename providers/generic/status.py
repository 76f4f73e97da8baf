"""Our statuses in the generic invoicing API's words, both ways.

The API's update body (the full `UpdateInvoice` model) has no status field; only the seed document's short
example carries one, `"status": "Pending"`, beside the invoice's ids and amount. So our status travels as
an optional `status` string next to the full body: an ASP.NET Core server ignores members its model does not
declare, so a deployment without a status field loses nothing, and one that has it receives ours.
Only "Pending" (our open) is attested; the other words are the natural English ones and can be replaced per
account with settings["status_words"] = {"void": "Cancelled", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping

from invoices.lifecycle import InvoiceStatus

S = InvoiceStatus

TO_GENERIC: dict[str, str] = {
    S.DRAFT: "Draft",
    S.OPEN: "Pending",
    S.PAID: "Paid",
    S.UNCOLLECTIBLE: "Uncollectible",
    S.VOID: "Void",
    S.REFUNDED: "Refunded",
}


def status_words(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**TO_GENERIC, **{k: v for k, v in (overrides or {}).items() if k in TO_GENERIC and v}}


def to_generic(status: str, overrides: Mapping[str, str] | None = None) -> str:
    return status_words(overrides)[status]


def from_generic(word: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """Our status for the provider's word (case-insensitive), or None for a word we do not know."""
    wanted = word.strip().lower()
    for ours, theirs in status_words(overrides).items():
        if theirs.lower() == wanted:
            return ours
    return None
