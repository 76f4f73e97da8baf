"""Helpers shared by the v1 API tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from invoices.models import Invoice
from providers.models import ProviderAccount
from tests.factories import make_invoice


def with_token(token: str, *, scheme: str = "Token", **defaults: Any) -> APIClient:
    client = APIClient(**defaults)
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return client


def error_of(response: Any) -> dict[str, Any]:
    """The error envelope of a response, checked for shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    return body["error"]


def generic_invoice(account: ProviderAccount, **fields: Any) -> Invoice:
    """An invoice the generic provider can be pushed (it names products, customers and accounts by uuid)."""
    lines = [{"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10")}]
    return make_invoice(
        account=account,
        currency=fields.pop("currency", "USD"),
        remote_id=fields.pop("remote_id", str(uuid.uuid4())),
        customer_ref=str(uuid.uuid4()),
        receiving_account_ref=str(uuid.uuid4()),
        lines=fields.pop("lines", lines),
        **fields,
    )


def url(*parts: object) -> str:
    return "/api/v1/" + "".join(f"{part}/" for part in parts)
