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


def totals_per_currency(invoices: QuerySet[Invoice]) -> list[CurrencyTotal]:
    """One aggregate query over the given (filtered) invoices, grouped by currency."""
    # A search across orders joins them, so the list's queryset may hold an invoice once per matching order
    # (the changelist de-duplicates rows with DISTINCT, which a SUM does not see): count each invoice once.
    distinct = Invoice.objects.filter(pk__in=invoices.order_by().values("pk"))
    rows = (
        distinct.values("currency")
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
