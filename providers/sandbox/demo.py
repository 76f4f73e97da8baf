"""The sandbox's side of the demo data: the provider objects that match the demo invoices.

Each object is made with its emulator's own seeding helper, from the same body our adapter would send, and in
the state the provider holds before the demo's queued changes reach it: a Rapyd or modulus invoice still a
draft, an Arcadier checkout whose orders are pending, a VTEX order ready for handling, a generic API invoice as
our draft. Once the relay has delivered the demo's changes, each provider holds what our history says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from invoices.lifecycle import InvoiceStatus
from invoices.money import to_minor
from providers.arcadier import payloads as arcadier_payloads
from providers.base import Change, InvoiceData, Operation
from providers.generic import payloads as generic_payloads
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.kinds import ProviderKind
from providers.models import is_loopback_host
from providers.modulus import payloads as modulus_payloads
from providers.rapyd import payloads as rapyd_payloads

from . import arcadier, generic, modulus, rapyd, vtex

K = ProviderKind
SANDBOX_PATH = "/sandbox"  # where backoffice/urls.py mounts the sandbox


def not_served_here(base_url: str) -> str:
    """Why accounts at `base_url` would not reach this installation's sandbox, or "" when they would.

    The sandbox answers below /sandbox on this installation's own server, which listens on loopback."""
    if not settings.SANDBOX_ENABLED:
        return "SANDBOX_ENABLED is off"
    parts = urlsplit(base_url)
    if not (parts.hostname and is_loopback_host(parts.hostname)) or parts.path.rstrip("/") != SANDBOX_PATH:
        return f"{base_url} is not this installation's sandbox (http://127.0.0.1:<port>{SANDBOX_PATH})"
    return ""


def _as_sent(body: Any) -> Any:
    """A body as the provider reads it off the wire (JSON numbers back as int or Decimal)."""
    return loads_decimal(dumps_compact(body))


def _storable(value: Any) -> Any:
    """As the emulators store what they receive: Decimals kept exact, as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


# -- one object per invoice ----------------------------------------------------------------------------------
def rapyd_draft(invoice: InvoiceData) -> str:
    """A Rapyd draft invoice with the lines, tax and dates of ours; returns the id Rapyd gave it."""
    body = _as_sent(rapyd_payloads.create_body(invoice))
    seeded = rapyd.seed_invoice(
        customer=body.pop("customer"),
        currency=body.pop("currency"),
        lines=body.pop("lines"),
        tax_percent=body.pop("tax_percent", 0),
        status="draft",
        **body,
    )
    return str(seeded["id"])


def modulus_draft(invoice: InvoiceData, account_settings: Mapping[str, Any]) -> None:
    """A modulus STATUS_DRAFT invoice under our remote id and number, holding what a create would have sent."""
    body = _as_sent(modulus_payloads.create_body(invoice, InvoiceStatus.DRAFT, account_settings))
    body.pop("status")
    modulus.seed_invoice(
        modulus_payloads.remote_invoice_id(invoice), invoice.remote_number, modulus.DRAFT, **_storable(body)
    )


def generic_invoice(invoice: InvoiceData, account_settings: Mapping[str, Any]) -> None:
    """The generic API's invoice exactly as our full-replace update of it in its current status would leave it."""
    change = Change(operation=Operation.PUSH, idempotency_key="", to_status=invoice.status)
    body = _as_sent(generic_payloads.update_body(invoice, change, account_settings))
    amount = generic.amount_of(body)
    generic.seed_invoice(
        body.pop("id"),
        counter_party_id=body.pop("counterPartyId"),
        receiving_account_id=body.pop("receivingAccountId"),
        status=body.pop("status"),
        amount=amount,
        **body,
    )


def arcadier_checkout(invoice: InvoiceData) -> None:
    """Arcadier's checkout of the invoice: its orders, with their merchants, buyer and amounts, still pending."""
    arcadier.seed_transaction(
        arcadier_payloads.invoice_no(invoice),
        orders=[
            {
                "order_id": order.order_id,
                "payee_id": order.payee_ref,
                "payer_id": order.payer_ref,
                "total": order.amount if order.amount is not None else Decimal("0"),
                "fee": order.fee if order.fee is not None else Decimal("0"),
            }
            for order in invoice.orders
        ],
        currency=invoice.currency,
    )


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


def vtex_order(order_id: str, *, currency: str, value: Decimal, items: Sequence[OrderItem]) -> None:
    """A VTEX order ready for handling, worth `value` (every invoice it will be invoiced with, tax included)."""
    vtex.seed_order(
        order_id,
        to_minor(value, currency),
        items=[
            {"id": item.sku, "name": item.name, "quantity": item.quantity, "price": to_minor(item.unit_price, currency)}
            for item in items
        ],
        currency=currency,
    )


# -- what the sandbox holds ----------------------------------------------------------------------------------
def holds(kind: str, invoice: InvoiceData) -> bool | None:
    """Whether the sandbox holds the object this invoice refers to; None when it refers to none yet (a Rapyd or
    modulus draft that was never sent)."""
    if kind == K.ARCADIER:
        return arcadier.transaction_state(arcadier_payloads.invoice_no(invoice)) is not None
    if kind == K.VTEX:
        order_id = invoice.orders[0].order_id if invoice.orders else ""
        return vtex.order_state(order_id) is not None if order_id else None
    if not invoice.remote_id:
        return None
    if kind == K.RAPYD:
        return rapyd.stored_invoice(invoice.remote_id) is not None
    if kind == K.MODULUS:
        return modulus.stored_invoice(invoice.remote_id) is not None
    return generic.stored_invoice(invoice.remote_id) is not None
