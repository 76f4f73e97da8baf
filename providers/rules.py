"""Provider rules checked before a change is recorded: the service asks the invoice's adapter class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import adapter_class

if TYPE_CHECKING:
    from .base import InvoiceData


def check_transition(kind: str, invoice: InvoiceData, to_status: str) -> None:
    """Raise IllegalTransition when the provider would refuse the move (e.g. VTEX `invoiced` is final)."""
    adapter_class(kind).check_transition(invoice, to_status)


def check_edit(kind: str, invoice: InvoiceData, changed_fields: set[str]) -> None:
    """Raise ProviderRuleError when the provider would refuse the edit (e.g. Rapyd updates only drafts)."""
    adapter_class(kind).check_edit(invoice, changed_fields)


def transition_operations(kind: str, invoice: InvoiceData, to_status: str) -> tuple[str, ...]:
    return tuple(adapter_class(kind).transition_operations(invoice, to_status))


def edit_operations(kind: str, invoice: InvoiceData, changed_fields: set[str]) -> tuple[str, ...]:
    return tuple(adapter_class(kind).edit_operations(invoice, changed_fields))
