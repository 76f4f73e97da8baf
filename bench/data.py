"""Benchmark data, built fast: rows are bulk-inserted in batches, not created one by one through the services.

The rows are what the services would have written (totals computed by the same money rules, a creation row in
the status history), so every read and every push afterwards behaves as it does on real data.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from invoices.actors import Actor
from invoices.models import ActorType, Door, Invoice, InvoiceLine, InvoiceOrder, StatusChange
from invoices.money import LineAmounts, compute_totals
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxObject

BATCH = 2000
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth")
PRODUCTS = ("Widget", "Gadget", "Sprocket", "Cable", "Adapter", "Licence", "Support plan", "Shipping")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "BRL", "SGD")
STATUSES = ("draft", "open", "paid", "void", "uncollectible", "refunded")

SYSTEM = Actor.system("bench")


def make_account(kind: str, base_url: str, *, name: str | None = None, max_concurrency: int = 4) -> ProviderAccount:
    """A provider account pointing at a sandbox, with the credentials that sandbox accepts."""
    account = ProviderAccount(
        kind=kind,
        name=name or f"bench-{kind}-{uuid.uuid4().hex[:6]}",
        base_url=base_url.rstrip("/"),
        max_concurrency=max_concurrency,
        connect_timeout=Decimal(5),
        read_timeout=Decimal(20),
    )
    account.set_credentials(dict(sandbox_credentials(kind)))
    account.save()
    return account


@dataclass(frozen=True)
class Built:
    """What a bulk build produced: the invoices' ids, in insertion order."""

    ids: list[int]


def _chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def bulk_invoices(
    account: ProviderAccount,
    count: int,
    *,
    prefix: str,
    status: str | None = "draft",
    currency: str | None = None,
    lines_per_invoice: int = 2,
    tax_rate: Decimal | None = None,
    orders_per_invoice: int = 0,
    guid_orders: bool = False,
    generic_ids: bool = False,
    seed_generic: bool = False,
    fields: Callable[[int], dict[str, Any]] | None = None,
    seed: int = 7,
) -> Built:
    """Insert `count` invoices of `account` with their lines, orders and creation history.

    `status=None` spreads them over every status and `currency=None` over several currencies (list data);
    `tax_rate` gives every line that rate (random otherwise). `generic_ids` gives each invoice the ids the
    generic API needs; `seed_generic` also stores it in that API's sandbox (the API has no create endpoint).
    `guid_orders` gives orders, payees and payers GUIDs (as Arcadier has them); `fields(i)` sets more fields of
    the i-th invoice (e.g. the provider's ids)."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    ids: list[int] = []
    for chunk in _chunks(count, BATCH):
        invoices, all_lines, all_orders, remote = [], [], [], []
        for i in chunk:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            inv_currency = currency or rng.choice(CURRENCIES)
            lines = [
                InvoiceLine(
                    position=n + 1,
                    sku=_guid(rng),
                    description=rng.choice(PRODUCTS),
                    quantity=Decimal(rng.randint(1, 5)),
                    unit_price=Decimal(rng.randint(100, 99_999)) / 100,
                    tax_rate=Decimal(rng.choice((0, 5, 10, 20))) if tax_rate is None else tax_rate,
                )
                for n in range(lines_per_invoice)
            ]
            totals = compute_totals(
                (LineAmounts(ln.quantity, ln.unit_price, ln.tax_rate) for ln in lines),
                discount=Decimal(0),
                currency=inv_currency,
            )
            issue = today - dt.timedelta(days=rng.randint(0, 365))
            values: dict[str, Any] = {
                "number": f"{prefix}-{i + 1:07d}",
                "account": account,
                "customer_name": f"{first} {last}",
                "customer_email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "currency": inv_currency,
                "issue_date": issue,
                "due_date": issue + dt.timedelta(days=30),
                "description": f"Order batch {i // 100}",
                "status": status or rng.choice(STATUSES),
                "subtotal": totals.subtotal,
                "tax": totals.tax,
                "total": totals.total,
            }
            invoice = Invoice(**{**values, **(fields(i) if fields else {})})
            if generic_ids or seed_generic:
                invoice.remote_id, invoice.customer_ref, invoice.receiving_account_ref = (_guid(rng) for _ in "abc")
            if seed_generic:
                remote.append(_generic_object(invoice))
            invoices.append(invoice)
            all_lines.append(lines)
            all_orders.append(
                [
                    InvoiceOrder(
                        order_id=_guid(rng) if guid_orders else f"{prefix}-O{i + 1:07d}-{n + 1}",
                        payee_ref=_guid(rng) if guid_orders else f"payee-{rng.randint(1, 50)}",
                        payer_ref=_guid(rng) if guid_orders else f"payer-{rng.randint(1, 5000)}",
                        amount=totals.total,
                    )
                    for n in range(orders_per_invoice)
                ]
            )
        with transaction.atomic():
            Invoice.objects.bulk_create(invoices, batch_size=BATCH)
            now = timezone.now()
            lines_rows = [ln for inv, lines in zip(invoices, all_lines, strict=True) for ln in _owned(lines, inv)]
            InvoiceLine.objects.bulk_create(lines_rows, batch_size=BATCH)
            orders_rows = [o for inv, orders in zip(invoices, all_orders, strict=True) for o in _owned(orders, inv)]
            InvoiceOrder.objects.bulk_create(orders_rows, batch_size=BATCH)
            StatusChange.objects.bulk_create(
                [
                    StatusChange(
                        invoice=inv,
                        from_status="",
                        to_status=inv.status,
                        at=now,
                        actor_type=ActorType.SYSTEM,
                        actor_label=SYSTEM.label,
                        door=Door.COMMAND,
                        reason="created",
                    )
                    for inv in invoices
                ],
                batch_size=BATCH,
            )
            SandboxObject.objects.bulk_create(remote, batch_size=BATCH)
        ids.extend(inv.pk for inv in invoices)
    analyze()
    return Built(ids)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _owned(rows: list, invoice: Invoice) -> list:
    for row in rows:
        row.invoice = invoice
    return rows


def _generic_object(invoice: Invoice) -> SandboxObject:
    key = invoice.remote_id.lower()
    data = {
        "id": key,
        "counterPartyId": invoice.customer_ref,
        "receivingAccountId": invoice.receiving_account_ref,
        "status": "Draft",
        "amount": str(invoice.total),
    }
    return SandboxObject(kind=ProviderKind.GENERIC, collection="invoices", key=key, data=data)


def generic_objects_snapshot(keys: list[str]) -> list[SandboxObject]:
    return list(SandboxObject.objects.filter(kind=ProviderKind.GENERIC, collection="invoices", key__in=keys))


def restore_generic_objects(snapshot: list[SandboxObject]) -> None:
    """Put the sandbox's invoices back as they were, so that a second run sends the same changes to the same
    state (the emulator writes only when an update changes something)."""
    with transaction.atomic():
        for chunk in _chunks(len(snapshot), BATCH):
            rows = [snapshot[i] for i in chunk]
            SandboxObject.objects.filter(pk__in=[r.pk for r in rows]).delete()
            SandboxObject.objects.bulk_create(rows, batch_size=BATCH)


def analyze() -> None:
    """After a bulk load, what autovacuum would do within minutes on a live database: fresh planner statistics
    and, on PostgreSQL, the visibility map that lets counts read an index alone."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
