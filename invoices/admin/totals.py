"""The sums finance staff check at month-end, per currency: amounts in two currencies are never added."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice
from invoices.money import round_money

from .display import format_money

ZERO = Decimal("0")
# Money still owed: sent and not paid, including what was written off as uncollectible (it may still come in).
OUTSTANDING_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    total: Decimal
    outstanding: Decimal

    @property
    def total_display(self) -> str:
        return format_money(self.total, self.currency)

    @property
    def outstanding_display(self) -> str:
        return format_money(self.outstanding, self.currency)


def _rows_may_repeat(invoices: QuerySet[Invoice]) -> bool:
    if invoices.query.distinct:
        return True
    joins = (getattr(join, "join_field", None) for join in invoices.query.alias_map.values())
    return any(field is not None and (field.one_to_many or field.many_to_many) for field in joins)


def totals_per_currency(invoices: QuerySet[Invoice]) -> list[CurrencyTotal]:
    """One aggregate query over the given (filtered) invoices, grouped by currency."""
    # A queryset joined to invoices' orders (a search by order id) may hold an invoice once per matching order
    # (DISTINCT hides that from the list, not from a SUM): then each invoice is counted once through a subquery.
    # A queryset with no such join is summed as it is: one pass over the table instead of joining it to itself
    # (a third of the list page's time at 100 000 invoices).
    if _rows_may_repeat(invoices):
        invoices = Invoice.objects.filter(pk__in=invoices.order_by().values("pk"))
    rows = (
        invoices.order_by()
        .values("currency")
        .annotate(
            n=Count("pk"),
            sum_total=Sum("total", default=ZERO),
            sum_outstanding=Sum("total", filter=Q(status__in=OUTSTANDING_STATUSES), default=ZERO),
        )
        .order_by("currency")
    )
    return [
        CurrencyTotal(
            currency=row["currency"],
            count=row["n"],
            total=round_money(Decimal(row["sum_total"]), row["currency"]),
            outstanding=round_money(Decimal(row["sum_outstanding"]), row["currency"]),
        )
        for row in rows
    ]
