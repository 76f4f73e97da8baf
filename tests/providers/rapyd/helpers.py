"""Helpers of the Rapyd tests: the seed fixtures, an independent signature, changes to push."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from providers.base import Change, InvoiceData, LineData, Operation

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
CUSTOMER = "cus_893a041b7dd251ec894556564298dc13"


def load_seed(name: str) -> Any:
    return json.loads((SEEDS / name).read_text())


def independent_signature(
    method: str, url_path: str, salt: str, timestamp: str, access_key: str, secret_key: str, body: str
) -> str:
    """Rapyd's documented scheme, written out again here so that tests do not trust the module they test."""
    to_sign = (method.lower() + url_path + salt + timestamp + access_key + secret_key + body).encode("utf-8")
    hex_digest = hmac.new(secret_key.encode("utf-8"), to_sign, hashlib.sha256).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def push_change(to_status: str | None = None, from_status: str | None = None, key: str | None = None) -> Change:
    return Change(
        operation=Operation.PUSH,
        idempotency_key=key or f"chg-{uuid.uuid4().hex}",
        to_status=to_status,
        from_status=from_status,
    )


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decimal_json(response: requests.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


def plain_line(quantity: str = "2", unit_price: str = "10.00", tax_rate: str = "0", **kw: Any) -> LineData:
    amount = (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"))
    return LineData(
        sku=kw.get("sku", "SKU-1"),
        description=kw.get("description", "Widget"),
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(tax_rate),
        amount=amount,
        tax=Decimal("0"),
    )


def plain_invoice(**fields: Any) -> InvoiceData:
    """Invoice data as adapters receive it, without the database (unit tests)."""
    base: dict[str, Any] = {
        "id": 1,
        "number": "INV-1",
        "invoice_type": "sale",
        "status": "draft",
        "currency": "USD",
        "customer_name": "Ada",
        "issue_date": dt.date(2026, 11, 1),
        "subtotal": Decimal("20.00"),
        "tax": Decimal("0"),
        "discount": Decimal("0"),
        "total": Decimal("20.00"),
        "customer_ref": CUSTOMER,
        "lines": (plain_line(),),
    }
    return InvoiceData(**{**base, **fields})
