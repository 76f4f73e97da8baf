"""Load demo data: one sandbox-backed account per provider, realistic invoices across statuses, three users.

When the accounts point at this installation's sandbox, the sandbox is given each demo invoice's counterpart
(a Rapyd or modulus draft, an Arcadier checkout, a VTEX order, a generic API invoice) in the state the provider
holds before the demo's status changes reach it; the deliveries those changes queued then succeed, and leave
each provider holding what the invoice's history says.

Idempotent: accounts are matched by name and brought back to the sandbox's settings, invoices by number (an
existing number is left alone, and so is its counterpart in the sandbox), users by username (their password
is set again, and printed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import re
import secrets
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from invoices import roles
from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition, InvoiceStatus
from invoices.models import Delivery, Door, Invoice, OrderPaymentStatus
from invoices.money import LineAmounts, compute_totals, line_amount, line_tax, round_money
from invoices.outbox import kicks_deferred
from invoices.selectors import invoice_data
from invoices.services import invoice_create, invoice_transition, invoice_update
from providers.base import ProviderRuleError
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox import demo as sandbox_demo
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxObject

K = ProviderKind
S = InvoiceStatus

ACCOUNT_NAMES: dict[str, str] = {
    K.ARCADIER: "Demo Arcadier marketplace",
    K.MODULUS: "Demo modulus",
    K.GENERIC: "Demo generic invoicing API",
    K.VTEX: "Demo VTEX store",
    K.RAPYD: "Demo Rapyd",
}
ACCOUNT_SETTINGS: dict[str, dict[str, Any]] = {
    # The generic API numbers its currencies without publishing the list: the demo merchant's numbering.
    K.GENERIC: {"auth_scheme": "bearer", "currency_codes": {"USD": 1, "EUR": 2, "JPY": 3, "KWD": 4}},
    # Ids of the demo modulus account's own setup, which a create needs (branch, invoice book, terms, unit).
    K.MODULUS: {"branch_code": "HQ", "book_id": 1, "payment_term_id": 1, "unit_id": 1},
}
KIND_ORDER = (K.ARCADIER, K.MODULUS, K.GENERIC, K.VTEX, K.RAPYD)

CURRENCIES: dict[str, tuple[str, ...]] = {
    K.ARCADIER: ("EUR", "USD", "GBP", "SGD"),
    K.MODULUS: ("GBP", "EUR", "USD"),
    K.GENERIC: ("USD", "EUR", "KWD", "JPY"),
    K.VTEX: ("BRL", "BRL", "USD"),
    K.RAPYD: ("USD", "EUR", "JPY", "KWD", "GBP", "BRL"),
}
# Rough value of one US dollar, so prices look plausible in every currency.
PER_USD: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "SGD": Decimal("1.35"),
    "JPY": Decimal("150"),
    "KWD": Decimal("0.307"),
    "BRL": Decimal("5.05"),
}
TAX_RATES: dict[str, tuple[str, ...]] = {
    "USD": ("0", "7.25", "8.875"),
    "EUR": ("21", "19", "10", "0"),
    "GBP": ("20", "5", "0"),
    "SGD": ("9",),
    "JPY": ("10", "8"),
    "KWD": ("0",),
    "BRL": ("17", "12", "18"),
}
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("TSH-ORG-M", "Organic cotton T-shirt, size M", "24.00"),
    ("MUG-CER-350", "Ceramic mug, 350 ml", "14.50"),
    ("HDP-BT-200", "Bluetooth headphones", "89.00"),
    ("LMP-DESK-LED", "LED desk lamp", "42.00"),
    ("BAG-CNV-01", "Canvas tote bag", "18.00"),
    ("KBD-MECH-TKL", "Mechanical keyboard, tenkeyless", "129.00"),
    ("CHR-ERGO-X", "Ergonomic office chair", "349.00"),
    ("COF-BEAN-1KG", "Single-origin coffee beans, 1 kg", "27.00"),
    ("SVC-INSTALL-H", "Installation service (hour)", "65.00"),
    ("SHP-EXPRESS", "Express shipping", "12.00"),
    ("SUB-PRO-MONTH", "Pro plan, monthly subscription", "49.00"),
    ("CBL-USBC-2M", "USB-C cable, 2 m", "9.90"),
    ("BTL-STEEL-750", "Insulated steel bottle, 750 ml", "31.00"),
    ("NTB-A5-DOT", "A5 dotted notebook", "11.50"),
)
# The demo store's catalogue at VTEX, whose SKU ids are numbers.
VTEX_SKUS: dict[str, str] = {sku: str(1001 + position) for position, (sku, _, _) in enumerate(PRODUCTS)}
CUSTOMERS: tuple[str, ...] = (
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam GmbH",
    "Tailspin Toys",
    "Ana Souza",
    "Lucas Pereira",
    "Hiroshi Tanaka",
    "Fatima Al-Sabah",
    "Margaret Whitfield",
    "Olivia Brennan",
    "Kestrel Outdoor Co.",
    "Blue Harbor Café",
    "Atelier Lumière",
    "Sakura Ceramics KK",
    "Gulf Logistics WLL",
    "Casa Verde Móveis",
    "Jonas Becker",
    "Priya Raman",
    "Meridian Health Partners",
    "Oak & Ember Bakery",
)
# How the invoices spread over the lifecycle, and the path from draft to each status.
STATUS_WEIGHTS: tuple[tuple[str, int], ...] = (
    (S.DRAFT, 15),
    (S.OPEN, 25),
    (S.PAID, 33),
    (S.UNCOLLECTIBLE, 8),
    (S.VOID, 11),
    (S.REFUNDED, 8),
)
PATHS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (),
    S.OPEN: (S.OPEN,),
    S.PAID: (S.OPEN, S.PAID),
    S.UNCOLLECTIBLE: (S.OPEN, S.UNCOLLECTIBLE),
    S.VOID: (S.OPEN, S.VOID),
    S.REFUNDED: (S.OPEN, S.PAID, S.REFUNDED),
}
ORDER_PAYMENT: dict[str, str] = {
    S.DRAFT: OrderPaymentStatus.PENDING,
    S.OPEN: OrderPaymentStatus.WAITING,
    S.PAID: OrderPaymentStatus.PAID,
    S.UNCOLLECTIBLE: OrderPaymentStatus.FAILED,
    S.VOID: OrderPaymentStatus.FAILED,
    S.REFUNDED: OrderPaymentStatus.REFUNDED,
}
DEMO_USERS = (("operator", roles.OPERATOR), ("viewer", roles.VIEWER))
GENERIC_PAYEE = "6f1c2a9e-3b7d-4e58-9a41-0d2c8b7e5f13"  # the demo merchant's receiving account at the generic API
# Product and tax ids at the generic API (uuids there) are derived from our SKUs and rates in this namespace.
GENERIC_IDS = uuid.UUID("0b6e3f52-7c1d-4a8e-b2f9-3d5c6e7f8a90")
# Kinds whose invoices carry one tax rate for the whole invoice (Rapyd's tax_percent, the generic API's taxes).
ONE_TAX_RATE = (K.GENERIC, K.RAPYD)
# Kinds that take whole quantities only (the generic API's products, VTEX items).
WHOLE_QUANTITIES = (K.GENERIC, K.VTEX)


@dataclass
class DemoInvoice:
    """Everything invoice_create needs for one demo invoice, the status it should end in, and (VTEX) the tracking
    details sent once the invoice is."""

    index: int
    number: str
    kind: str
    target: str
    create: dict[str, Any] = field(default_factory=dict)
    tracking: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        amounts = [LineAmounts(line["quantity"], line["unit_price"], line["tax_rate"]) for line in self.create["lines"]]
        discount = self.create.get("discount", Decimal("0"))
        return compute_totals(amounts, discount=discount, currency=self.create["currency"]).total


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _lines(rng: random.Random, kind: str, currency: str, count: int) -> list[dict[str, Any]]:
    invoice_rate = rng.choice(TAX_RATES[currency])
    lines = []
    for sku, description, usd in rng.sample(PRODUCTS, count):
        hours = sku.startswith("SVC-") and kind not in WHOLE_QUANTITIES
        quantity = Decimal(rng.choice(("1", "1.5", "2", "3"))) if hours else Decimal(rng.randint(1, 5))
        price = Decimal(usd) * PER_USD[currency] * Decimal(rng.choice(("0.95", "1", "1", "1.1")))
        rate = invoice_rate if kind in ONE_TAX_RATE else rng.choice(TAX_RATES[currency])
        lines.append(
            {
                "sku": VTEX_SKUS[sku] if kind == K.VTEX else sku,
                "description": description,
                "quantity": quantity,
                "unit_price": round_money(price, currency),
                "tax_rate": Decimal(rate),
            }
        )
    return lines


def _gross(line: dict[str, Any], currency: str) -> Decimal:
    amounts = LineAmounts(quantity=line["quantity"], unit_price=line["unit_price"], tax_rate=line["tax_rate"])
    return line_amount(amounts, currency) + line_tax(amounts, currency)


def _arcadier_orders(
    rng: random.Random, lines: list[dict[str, Any]], currency: str, target: str
) -> list[dict[str, Any]]:
    """A marketplace checkout: one buyer, one order per merchant, the invoice's lines shared among them."""
    count = min(len(lines), rng.choice((2, 2, 3)))
    payer = _guid(rng)
    orders = []
    for index in range(count):
        amount = sum((_gross(line, currency) for line in lines[index::count]), Decimal("0"))
        order: dict[str, Any] = {
            "order_id": _guid(rng),
            "payee_ref": _guid(rng),
            "payer_ref": payer,
            "payment_status": ORDER_PAYMENT[target],
            "amount": amount,
            "fee": round_money(amount * Decimal("0.03"), currency),
        }
        if target in (S.PAID, S.REFUNDED):
            order["gateway"] = {"Code": "stripe", "TransactionID": f"ch_{rng.getrandbits(96):024x}"}
        orders.append(order)
    return orders


def _vtex_order(order_seq: int) -> tuple[str, str]:
    """The id and currency of the demo store's VTEX order number `order_seq`."""
    rng = random.Random(f"demo-vtex-order-{order_seq}")  # noqa: S311 - demo data, not secrets
    return f"{rng.randint(10**12, 10**13 - 1)}-01", rng.choice(CURRENCIES[K.VTEX])


def _vtex_order_seq(nth_of_kind: int) -> int:
    # Every third order is invoiced in two parts: two invoices share its order id.
    return nth_of_kind - 1 if nth_of_kind % 3 == 1 else nth_of_kind


def vtex_order_parts(index: int, today: dt.date) -> list[DemoInvoice]:
    """The demo invoices of the VTEX order that demo invoice `index` invoices: itself, and the other part when
    the order is invoiced in two."""
    order_seq = _vtex_order_seq((index - 1) // len(KIND_ORDER))
    first = KIND_ORDER.index(K.VTEX) + 1
    candidates = [first + nth * len(KIND_ORDER) for nth in (order_seq, order_seq + 1)]
    return [
        demo_invoice(candidate, today)
        for candidate in candidates
        if _vtex_order_seq((candidate - 1) // len(KIND_ORDER)) == order_seq
    ]


def _generic_fields(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The generic API's ids for our products and our tax rate (uuids there), and its enums for the demo."""
    fields: dict[str, Any] = {
        "billingCycle": 0,
        "paymentMethods": [1],
        "productIds": {line["sku"]: str(uuid.uuid5(GENERIC_IDS, f"product:{line['sku']}")) for line in lines},
    }
    rate = lines[0]["tax_rate"]
    if rate:
        tax_id = str(uuid.uuid5(GENERIC_IDS, f"tax:{rate.normalize()}"))
        fields["taxes"] = [{"taxId": tax_id, "taxPercentageValue": str(rate)}]
    return fields


def demo_invoice(index: int, today: dt.date) -> DemoInvoice:
    """The demo invoice number `index` (from 1): the same every time, so loading twice changes nothing."""
    rng = random.Random(f"demo-invoice-{index}")  # noqa: S311 - demo data, not secrets
    kind = KIND_ORDER[(index - 1) % len(KIND_ORDER)]
    nth_of_kind = (index - 1) // len(KIND_ORDER)
    target = rng.choices([s for s, _ in STATUS_WEIGHTS], weights=[w for _, w in STATUS_WEIGHTS])[0]
    currency = rng.choice(CURRENCIES[kind])
    vtex_order_id = ""
    if kind == K.VTEX:
        # Both parts of an order invoiced in two share its currency.
        vtex_order_id, currency = _vtex_order(_vtex_order_seq(nth_of_kind))
    customer = rng.choice(CUSTOMERS)
    issue_date = today - dt.timedelta(days=rng.randint(2, 150))
    number = f"DEMO-{index:04d}"
    lines = _lines(rng, kind, currency, rng.randint(2, 4) if kind == K.ARCADIER else rng.randint(1, 4))
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", customer).lower()).strip("-")
    fields: dict[str, Any] = {
        "customer_name": customer,
        "customer_email": f"billing@{slug}.example.com",
        "currency": currency,
        "issue_date": issue_date,
        "due_date": issue_date + dt.timedelta(days=rng.choice((14, 30, 30, 45))),
        "description": f"{rng.choice(('Order', 'Purchase', 'Services', 'Subscription'))} for {customer}",
        "lines": lines,
    }
    tracking: dict[str, Any] = {}
    if kind == K.ARCADIER:
        fields["remote_number"] = number
        fields["orders"] = _arcadier_orders(rng, lines, currency, target)
        fields["customer_ref"] = fields["orders"][0]["payer_ref"]
    elif kind == K.VTEX:
        fields["remote_number"] = number
        # VTEX invoices an order once its payment is approved.
        fields["orders"] = [{"order_id": vtex_order_id, "payment_status": OrderPaymentStatus.PAID}]
        if target in (S.PAID, S.REFUNDED):
            # Shipped: the tracking details go to VTEX once it holds the invoice.
            code = f"BR{rng.randint(10**8, 10**9 - 1)}BR"
            tracking = {
                "courier": "Correios",
                "tracking_number": code,
                "tracking_url": f"https://rastreamento.correios.com.br/app/index.php?objetos={code}",
                "dispatched_at": timezone.make_aware(dt.datetime.combine(issue_date, dt.time(15, 30))),
            }
    elif kind == K.RAPYD:
        # The remote id is Rapyd's to give: the sandbox gives it, or the first push creates the invoice there.
        fields["customer_ref"] = f"cus_{rng.getrandbits(128):032x}"
        fields["metadata"] = {"source": "demo", "sales_channel": rng.choice(("web", "phone", "store"))}
    elif kind == K.MODULUS:
        fields["customer_ref"] = str(rng.randint(100, 999))
        if target != S.DRAFT:
            # Entered in modulus' own UI earlier, as a draft; a demo draft has not reached modulus yet.
            remote_id = 1000 + index
            fields["remote_id"] = str(remote_id)
            fields["remote_number"] = f"INV_{issue_date:%Y_%m_%d}_{remote_id}"
    else:  # generic
        fields["remote_id"] = _guid(rng)
        fields["customer_ref"] = _guid(rng)
        fields["receiving_account_ref"] = GENERIC_PAYEE
        fields["provider_fields"] = _generic_fields(lines)
    # A fixed amount off, where the provider takes one and no tax rate makes it read differently there (Rapyd and
    # the generic API tax the sum after the discount; we tax the lines). modulus has no invoice-level discount.
    if kind in ONE_TAX_RATE and not lines[0]["tax_rate"] and rng.random() < 0.5:
        amounts = [LineAmounts(line["quantity"], line["unit_price"], line["tax_rate"]) for line in lines]
        subtotal = compute_totals(amounts, discount=Decimal("0"), currency=currency).subtotal
        fields["discount"] = round_money(subtotal * Decimal("0.1"), currency)
    return DemoInvoice(index=index, number=number, kind=kind, target=target, create=fields, tracking=tracking)


class Command(BaseCommand):
    help = (
        "Load demo data: one account per provider pointing at the sandbox, realistic invoices spread over "
        "the lifecycle, and the users admin, operator and viewer (password printed). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000/sandbox",
            help="Root of the sandbox; each account points at <base-url>/<kind> (default %(default)s).",
        )
        parser.add_argument("--invoices", type=int, default=50, help="How many demo invoices (default 50).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (demo accounts point at the sandbox; the demo users' passwords are reset).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo is for the local setup (DEBUG on): it points the demo accounts at the sandbox and resets "
                "the admin, operator and viewer passwords. Pass --force to seed this database anyway."
            )
        count: int = options["invoices"]
        if not 0 <= count <= 10_000:
            raise CommandError("--invoices must be between 0 and 10000.")
        base_url: str = options["base_url"].rstrip("/")
        not_here = sandbox_demo.not_served_here(base_url)

        accounts, new_accounts = self._accounts(base_url)
        objects_before, deliveries_before = SandboxObject.objects.count(), Delivery.objects.count()
        # The demo queues dozens of deliveries at once: they are left to the worker's periodic relay, which sends
        # them all in one pass, rather than each announced on the broker.
        with kicks_deferred():
            created, refused, unmatched = self._invoices(accounts, count, sandbox=not not_here)
        queued = Delivery.objects.count() - deliveries_before
        password, from_settings = self._users()

        demo = Invoice.objects.filter(number__startswith="DEMO-")
        by_status = Counter(demo.values_list("status", flat=True))
        self.stdout.write(f"Provider accounts: {len(accounts)} ({new_accounts} new), pointing at {base_url}/<kind>.")
        self.stdout.write(
            f"Invoices: {created} created, {count - created} already present"
            + (f"; {refused} status change(s) refused by provider rules were skipped." if refused else ".")
        )
        self.stdout.write("Demo invoices by status: " + ", ".join(f"{s.label} {by_status.get(s.value, 0)}" for s in S))
        if queued:
            self.stdout.write(
                f"Deliveries: {queued} queued for the providers; the worker's relay sends them every "
                f"{settings.DELIVERY_RELAY_INTERVAL_SECONDS:g} s (or run `manage.py deliver_outbox`)."
            )
        if not_here:
            self.stdout.write(
                f"Sandbox: not seeded, since {not_here}; the providers at {base_url}/<kind> must already hold "
                "the demo's invoices and orders for its deliveries to succeed."
            )
        else:
            self.stdout.write(
                f"Sandbox: {SandboxObject.objects.count() - objects_before} provider object(s) created for the "
                "demo invoices."
            )
            if unmatched:
                self.stdout.write(
                    self.style.WARNING(
                        f"Sandbox: {unmatched} demo invoice(s) loaded earlier have no counterpart in the sandbox "
                        "(loaded for another base URL, or the sandbox was emptied since): their deliveries fail. "
                        "For a clean demo, start from an empty database."
                    )
                )
        source = "DEMO_ADMIN_PASSWORD" if from_settings else "generated now"
        self.stdout.write(f"Admin login: admin / {password}  ({source}; operator and viewer use it too)")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _accounts(self, base_url: str) -> tuple[dict[str, ProviderAccount], int]:
        accounts: dict[str, ProviderAccount] = {}
        new = 0
        for kind in KIND_ORDER:
            name = ACCOUNT_NAMES[kind]
            account = ProviderAccount.objects.filter(name=name).first()
            if account is None:
                account, new = ProviderAccount(name=name, kind=kind), new + 1
            elif account.kind != kind:
                raise CommandError(f"Account {name!r} exists with kind {account.kind}, not {kind}: rename it.")
            account.base_url = f"{base_url}/{kind}"
            account.settings = {**(account.settings or {}), **ACCOUNT_SETTINGS.get(kind, {})}
            account.enabled = True
            # Replaced whole (not merged): the sandbox's credentials, even if the old ones no longer decrypt.
            account.credentials_encrypted = ""
            credentials: dict[str, str | None] = {**sandbox_credentials(kind)}
            account.set_credentials(credentials)
            try:
                account.full_clean()
            except ValidationError as exc:
                raise CommandError(f"{name}: {' '.join(exc.messages)}") from None
            account.save()
            accounts[kind] = account
        return accounts, new

    def _invoices(self, accounts: dict[str, ProviderAccount], count: int, *, sandbox: bool) -> tuple[int, int, int]:
        """Create the missing demo invoices (and their sandbox counterparts); returns how many were created, how
        many status changes provider rules refused, and how many existing ones lack a sandbox counterpart."""
        actor = Actor.system("demo")
        today = timezone.localdate()
        numbers = [f"DEMO-{index:04d}" for index in range(1, count + 1)]
        existing = {
            invoice.number: invoice
            for invoice in Invoice.objects.filter(number__in=numbers).prefetch_related("lines", "orders")
        }
        created = refused = unmatched = 0
        for index in range(1, count + 1):
            spec = demo_invoice(index, today)
            if spec.number in existing:
                if sandbox and sandbox_demo.holds(spec.kind, invoice_data(existing[spec.number])) is False:
                    unmatched += 1
                continue
            with transaction.atomic():
                invoice = invoice_create(
                    account=accounts[spec.kind],
                    number=spec.number,
                    actor=actor,
                    door=Door.COMMAND,
                    reason="demo data",
                    **spec.create,
                )
                if sandbox:
                    self._seed_sandbox(spec, invoice, accounts[spec.kind], today, actor)
                reached = spec.target
                for to_status in PATHS[spec.target]:
                    try:
                        invoice_transition(
                            invoice_id=invoice.pk,
                            to_status=to_status,
                            actor=actor,
                            door=Door.COMMAND,
                            reason="demo",
                        )
                    except IllegalTransition:
                        # The provider's own rules say no (e.g. a VTEX invoice is final): keep what it allows.
                        refused += 1
                        reached = Invoice.objects.values_list("status", flat=True).get(pk=invoice.pk)
                        break
                if reached != spec.target and spec.kind == K.ARCADIER:
                    self._align_order_payments(invoice.pk, spec, reached, actor)
                if spec.tracking and reached == S.OPEN:
                    invoice_update(invoice_id=invoice.pk, actor=actor, door=Door.COMMAND, **spec.tracking)
            created += 1
        return created, refused, unmatched

    @staticmethod
    def _seed_sandbox(
        spec: DemoInvoice, invoice: Invoice, account: ProviderAccount, today: dt.date, actor: Actor
    ) -> None:
        """Give the sandbox the invoice's counterpart, as the provider holds it before the demo's changes."""
        data = invoice_data(Invoice.objects.prefetch_related("lines", "orders").get(pk=invoice.pk))
        account_settings = account.effective_settings()
        if spec.kind == K.ARCADIER:
            sandbox_demo.arcadier_checkout(data)
        elif spec.kind == K.GENERIC:
            sandbox_demo.generic_invoice(data, account_settings)
        elif spec.kind == K.MODULUS:
            if data.remote_id:
                sandbox_demo.modulus_draft(data, account_settings)
        elif spec.kind == K.RAPYD:
            if spec.target != S.DRAFT:
                remote_id = sandbox_demo.rapyd_draft(data)
                invoice_update(invoice_id=invoice.pk, actor=actor, door=Door.COMMAND, remote_id=remote_id)
        elif not sandbox_demo.holds(K.VTEX, data):
            # The order of both parts when it is invoiced in two: created with the first, worth both.
            parts = vtex_order_parts(spec.index, today)
            items: dict[str, sandbox_demo.OrderItem] = {}
            for part in parts:
                for line in part.create["lines"]:
                    held = items.get(line["sku"])
                    quantity = int(line["quantity"]) + (held.quantity if held else 0)
                    items[line["sku"]] = sandbox_demo.OrderItem(
                        line["sku"], line["description"], quantity, line["unit_price"]
                    )
            sandbox_demo.vtex_order(
                data.orders[0].order_id,
                currency=data.currency,
                value=sum((part.total for part in parts), Decimal("0")),
                items=list(items.values()),
            )

    @staticmethod
    def _align_order_payments(invoice_id: int, spec: DemoInvoice, reached: str, actor: Actor) -> None:
        """Orders say what the invoice's status says, when a provider rule stopped the invoice short."""
        orders = [{**order, "payment_status": ORDER_PAYMENT[reached]} for order in spec.create["orders"]]
        if reached not in (S.PAID, S.REFUNDED):
            orders = [{k: v for k, v in order.items() if k != "gateway"} for order in orders]
        # When the provider does not let these orders change any more, they keep their first status.
        with contextlib.suppress(ProviderRuleError, ValidationError):
            invoice_update(invoice_id=invoice_id, orders=orders, actor=actor, door=Door.COMMAND)

    def _users(self) -> tuple[str, bool]:
        password = settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        user_model = get_user_model()
        admin, _ = user_model.objects.get_or_create(username="admin", defaults={"email": "admin@example.com"})
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.set_password(password)
        admin.save()
        for username, role in DEMO_USERS:
            group = Group.objects.filter(name=role).first()
            if group is None:
                raise CommandError(f"The {role!r} group is missing: run `manage.py migrate` first.")
            user, _ = user_model.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.is_staff = user.is_active = True
            user.is_superuser = False
            user.set_password(password)
            user.save()
            user.groups.add(group)
        return password, bool(settings.DEMO_ADMIN_PASSWORD)
