"""Which rows a caller may see: an API client only those of the provider accounts it is linked to; staff all of
them (the admin shows staff every invoice). Anything outside the scope is answered 404, as if it did not exist."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.request import Request

from invoices.models import ApiClient, Delivery, Invoice, InvoiceEmail, StatusChange
from providers.models import ProviderAccount


def _client(request: Request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


def accounts(request: Request) -> QuerySet[ProviderAccount]:
    client = _client(request)
    return client.accounts.all() if client is not None else ProviderAccount.objects.all()


def invoices(request: Request) -> QuerySet[Invoice]:
    client = _client(request)
    queryset = Invoice.objects.all()
    if client is None:
        return queryset
    # The client's few account ids are read first: `account_id IN (1, 2, …)` lets PostgreSQL count a list's
    # total from the account index alone, where a subquery joined every invoice to the link table (twice the
    # time of that count at 100 000 invoices).
    return queryset.filter(account_id__in=list(client.accounts.values_list("pk", flat=True)))


def deliveries(request: Request) -> QuerySet[Delivery]:
    return Delivery.objects.filter(invoice__in=invoices(request))


def history(request: Request) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(invoice__in=invoices(request))


def emails(request: Request) -> QuerySet[InvoiceEmail]:
    return InvoiceEmail.objects.filter(invoice__in=invoices(request))
