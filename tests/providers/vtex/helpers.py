"""Shared test vocabulary for VTEX: changes, headers, seed fixtures and plain invoice data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from providers.base import Change, InvoiceData, LineData, Operation, OrderData
from providers.models import ProviderAccount
from providers.sandbox.credentials import sandbox_credentials

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
ORDER_ID = "1172452900788-01"

SEND = Change(Operation.PUSH, idempotency_key="push-1", to_status="open", from_status="draft")
TRACK = Change(Operation.TRACKING, idempotency_key="track-1")


def seed_fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SEEDS / f"vtex_{name}.json").read_text(encoding="utf-8"))
    return loaded


def vtex_headers(credentials: dict[str, str] | None = None) -> dict[str, str]:
    credentials = credentials or sandbox_credentials("vtex")
    return {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-VTEX-API-AppKey": credentials["app_key"],
        "X-VTEX-API-AppToken": credentials["app_token"],
    }


def call(account: ProviderAccount, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
    """A raw, properly authenticated request to the sandbox (what any VTEX client would send)."""
    headers = kwargs.pop("headers", None) or vtex_headers()
    data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
    return requests.request(method, account.base_url + path, headers=headers, data=data, timeout=10, **kwargs)


def sale_lines(quantity: str = "2", unit_price: str = "10.00", sku: str = "SKU-1") -> list[dict[str, Any]]:
    return [
        {
            "sku": sku,
            "description": "Widget",
            "quantity": Decimal(quantity),
            "unit_price": Decimal(unit_price),
        }
    ]


def plain_invoice(**overrides: Any) -> InvoiceData:
    """An invoice as the adapter sees it, without the database: 2 x 10.00 EUR on order ORDER_ID."""
    lines = overrides.pop(
        "lines",
        (
            LineData(
                sku="SKU-1",
                description="Widget",
                quantity=Decimal("2"),
                unit_price=Decimal("10.00"),
                tax_rate=Decimal("0"),
                amount=Decimal("20.00"),
                tax=Decimal("0.00"),
            ),
        ),
    )
    values: dict[str, Any] = {
        "id": 1,
        "number": "INV-1",
        "invoice_type": "sale",
        "status": "draft",
        "currency": "EUR",
        "customer_name": "Ada Lovelace",
        "issue_date": dt.date(2026, 11, 1),
        "subtotal": Decimal("20.00"),
        "tax": Decimal("0.00"),
        "discount": Decimal("0.00"),
        "total": Decimal("20.00"),
        "lines": lines,
        "orders": (OrderData(order_id=ORDER_ID),),
    }
    values.update(overrides)
    return InvoiceData(**values)
