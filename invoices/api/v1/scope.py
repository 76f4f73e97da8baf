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
    return queryset.filter(account__in=client.accounts.all()) if client is not None else queryset


def deliveries(request: Request) -> QuerySet[Delivery]:
    return Delivery.objects.filter(invoice__in=invoices(request))


def history(request: Request) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(invoice__in=invoices(request))


def emails(request: Request) -> QuerySet[InvoiceEmail]:
    return InvoiceEmail.objects.filter(invoice__in=invoices(request))
