"""Builders shared by the Arcadier tests: invoice data without a database, and checked-out invoices that exist
both here and in the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from invoices.models import Invoice
from providers.base import Change, InvoiceData, Operation, OrderData
from providers.models import ProviderAccount
from providers.sandbox.arcadier import seed_transaction
from providers.sandbox.models import SandboxRequest
from tests.factories import make_invoice

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def seed_payments() -> list[dict[str, Any]]:
    return json.loads((SEEDS / "arcadier_update_invoice_payments.json").read_text())


def guid() -> str:
    return str(uuid.uuid4())


def an_order(**overrides: Any) -> OrderData:
    values: dict[str, Any] = {
        "order_id": guid(),
        "payee_ref": guid(),
        "payer_ref": guid(),
        "amount": Decimal("12.50"),
        "fee": Decimal("0.50"),
        "gateway": {"Code": "stripe", "TransactionID": "ch_123"},
    }
    return OrderData(**{**values, **overrides})


def an_invoice(**overrides: Any) -> InvoiceData:
    values: dict[str, Any] = {
        "id": 1,
        "number": "INV-1",
        "invoice_type": "sale",
        "status": "open",
        "currency": "USD",
        "customer_name": "Ada Lovelace",
        "issue_date": dt.date(2026, 11, 1),
        "subtotal": Decimal("25.00"),
        "tax": Decimal("0"),
        "discount": Decimal("0"),
        "total": Decimal("25.00"),
        "remote_number": "AR-000123",
        "orders": (an_order(), an_order()),
    }
    return InvoiceData(**{**values, **overrides})


def push(to_status: str, key: str = "key-1") -> Change:
    return Change(operation=Operation.PUSH, idempotency_key=key, to_status=to_status)


def email(key: str = "key-email") -> Change:
    return Change(operation=Operation.EMAIL, idempotency_key=key)


def checked_out(
    account: ProviderAccount, *, status: str = "open", orders: int = 2, seed: bool = True, **fields: Any
) -> Invoice:
    """An invoice created by Arcadier's checkout (seeded in the sandbox) and its record here, in `status`."""
    specs = [
        {
            "order_id": guid(),
            "payee_ref": guid(),
            "payer_ref": guid(),
            "amount": Decimal("12.50"),
            "fee": Decimal("0.50"),
            "gateway": {"Code": "stripe", "TransactionID": f"ch_{n}"},
        }
        for n in range(orders)
    ]
    fields.setdefault("remote_number", f"AR{uuid.uuid4().int % 10**10:010d}")
    invoice = make_invoice(account=account, status=status, currency="USD", orders=specs, **fields)
    if seed:
        seed_transaction(
            invoice.remote_number,
            orders=[
                {
                    "order_id": o["order_id"],
                    "payee_id": o["payee_ref"],
                    "payer_id": o["payer_ref"],
                    "total": "12.50",
                }
                for o in specs
            ],
        )
    return invoice


def sandbox_log() -> list[SandboxRequest]:
    return list(SandboxRequest.objects.filter(kind="arcadier").order_by("id"))


def calls() -> list[tuple[str, str, int | None]]:
    """(method, path below /sandbox/arcadier, status) of every request the sandbox received, in order."""
    prefix = "/sandbox/arcadier"
    return [(r.method, r.path.removeprefix(prefix), r.status_code) for r in sandbox_log()]
