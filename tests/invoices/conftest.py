"""Fixtures shared by the invoice tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from invoices.models import Invoice
from providers.sandbox.generic import seed_invoice
from tests.factories import make_invoice


def generic_lines() -> list[dict[str, Any]]:
    # The generic API identifies products by uuid.
    return [{"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10")}]


@pytest.fixture
def generic_invoice(sandbox_account: Any) -> Any:
    """An open-able invoice of a generic account, known to the sandbox."""

    def build(**account_overrides: Any) -> Invoice:
        account = sandbox_account("generic", **account_overrides)
        remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
        seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
        return make_invoice(
            account=account,
            currency="USD",
            remote_id=remote_id,
            customer_ref=customer,
            receiving_account_ref=receiver,
            lines=generic_lines(),
        )

    return build
