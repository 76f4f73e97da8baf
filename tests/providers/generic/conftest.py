from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from invoices.models import Invoice
from providers.jsonnumbers import loads_decimal
from providers.models import ProviderAccount
from tests.factories import make_invoice

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def seed_body(name: str) -> Any:
    """A seed example as the document has it, numbers kept exact."""
    return loads_decimal((SEEDS / name).read_text())


def invoice_like_the_full_seed(account: ProviderAccount, **overrides: Any) -> Invoice:
    """Our invoice that the adapter should turn into the seed's full example body."""
    seed = seed_body("generic_update_full.json")
    products = seed["products"]
    fields: dict[str, Any] = {
        "remote_id": seed["id"],
        "customer_ref": seed["counterPartyId"],
        "receiving_account_ref": seed["receivingAccountId"],
        "customer_name": seed["counterPartyName"],
        "description": seed["description"],
        "currency": "USD",
        "discount": Decimal("5"),
        "lines": [
            {
                "sku": "WIDGET",
                "description": "Widget",
                "quantity": Decimal("2"),
                "unit_price": Decimal("10.50"),
            },
            {
                "sku": "SUPPORT",
                "description": "Support",
                "quantity": Decimal("1"),
                "unit_price": Decimal("99.99"),
            },
        ],
        "provider_fields": {
            "productIds": {"WIDGET": products[0]["productId"], "SUPPORT": products[1]["productId"]},
            "taxes": [
                {"taxId": seed["taxes"][0]["taxId"], "taxPercentageValue": 15},
                {"taxId": seed["taxes"][1]["taxId"], "taxPercentageValue": 2.5},
            ],
            "accountName": seed["accountName"],
            "billingCycle": 6,
            "recuringInvoice": False,
            "paymentMethods": [1, 2],
            "notification": [1, 3],
            "beforeDueDates": [7, 3],
            "afterDueDates": [1, 7],
            "onDueDate": True,
        },
    }
    fields.update(overrides)
    return make_invoice(account=account, status=fields.pop("status", "open"), **fields)


@pytest.fixture
def generic_account(sandbox_account: Any) -> Any:
    """Build a generic account on the sandbox (bearer auth unless its settings say otherwise)."""

    def build(**overrides: Any) -> ProviderAccount:
        return sandbox_account("generic", **overrides)

    return build
