"""Filters of the invoice list: by status, account, provider kind, sync state, currency, date ranges, and a free
search over numbers, customers, the provider's ids and the orders an invoice covers."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters

from invoices.currencies import CURRENCY_CHOICES
from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice, InvoiceOrder, SyncState
from providers.kinds import ProviderKind

MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class InvoiceFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=InvoiceStatus.choices, help_text="Repeat for several statuses.")
    account = IdFilter(field_name="account_id", help_text="Provider account id.")
    provider_kind = filters.ChoiceFilter(field_name="account__kind", choices=ProviderKind.choices)
    sync_state = filters.MultipleChoiceFilter(choices=SyncState.choices)
    currency = filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    issue_date = filters.DateFromToRangeFilter(help_text="issue_date_after / issue_date_before (inclusive).")
    due_date = filters.DateFromToRangeFilter(help_text="due_date_after / due_date_before (inclusive).")
    search = filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Part of the number, customer name, email or ref, the provider's id or number, or an order id.",
    )

    class Meta:
        model = Invoice
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Invoice], name: str, value: str) -> QuerySet[Invoice]:
        value = value.strip()
        if not value:
            return queryset
        # EXISTS rather than a join: an invoice with several matching orders is listed once, with no DISTINCT.
        order_matches = InvoiceOrder.objects.filter(invoice=OuterRef("pk"), order_id__icontains=value)
        return queryset.filter(
            Q(number__icontains=value)
            | Q(customer_name__icontains=value)
            | Q(customer_email__icontains=value)
            | Q(customer_ref__icontains=value)
            | Q(remote_id__icontains=value)
            | Q(remote_number__icontains=value)
            | Exists(order_matches)
        )
