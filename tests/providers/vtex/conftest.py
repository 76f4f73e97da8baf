from __future__ import annotations

from typing import Any

import pytest

from invoices.models import Invoice
from invoices.selectors import invoice_data
from providers.base import InvoiceData
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox.vtex import seed_order
from providers.vtex.adapter import VtexAdapter
from tests.factories import make_invoice

from .helpers import ORDER_ID, sale_lines


@pytest.fixture
def vtex_account(sandbox_account: Any) -> ProviderAccount:
    account: ProviderAccount = sandbox_account("vtex")
    return account


@pytest.fixture
def adapter(vtex_account: ProviderAccount) -> VtexAdapter:
    built = adapter_for(vtex_account)
    assert isinstance(built, VtexAdapter)
    return built


@pytest.fixture
def order(vtex_account: ProviderAccount) -> str:
    """An order of 20.00 (2 x SKU-1 at 10.00), ready for handling."""
    seed_order(ORDER_ID, 2000, items=[{"id": "SKU-1", "quantity": 2, "price": 1000}])
    return ORDER_ID


@pytest.fixture
def sale(vtex_account: ProviderAccount) -> Any:
    """Build an invoice of `vtex_account` for an order as the relay hands it over: open, as plain data."""

    def build(order_id: str = ORDER_ID, **fields: Any) -> InvoiceData:
        fields.setdefault("status", "open")
        fields.setdefault("lines", sale_lines())
        invoice = make_invoice(account=vtex_account, orders=[{"order_id": order_id}], **fields)
        return invoice_data(Invoice.objects.prefetch_related("lines", "orders").get(pk=invoice.pk))

    return build
