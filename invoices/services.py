"""Every write to an invoice goes through here (HackSoft's services, Zulip's do_* functions).

A status change locks the row, checks the lifecycle table and the provider's own rules, saves the invoice and appends
its history row in one transaction. Callers (admin actions, API views, commands, webhooks) end in one call here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from providers import rules
from providers.models import ProviderAccount

from .actors import Actor
from .lifecycle import IllegalTransition, InvoiceStatus, check_transition, label, lifecycle_path
from .models import ApiClient, Invoice, InvoiceLine, InvoiceOrder, OrderPaymentStatus, StatusChange
from .money import compute_totals
from .outbox import DOORS_WITHOUT_DELIVERY, enqueue_delivery
from .selectors import invoice_data

EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "customer_name",
        "customer_email",
        "customer_ref",
        "receiving_account_ref",
        "description",
        "currency",
        "discount",
        "issue_date",
        "due_date",
        "courier",
        "tracking_number",
        "tracking_url",
        "dispatched_at",
        "metadata",
        "provider_fields",
        "remote_id",
        "remote_number",
        "invoice_type",
    }
)
# Fields whose change alters what the provider holds; the rest (notes, our own refs) are local only.
LINE_FIELDS = ("sku", "description", "quantity", "unit_price", "tax_rate")
ORDER_FIELDS = ("order_id", "payee_ref", "payer_ref", "payment_status", "amount", "fee", "gateway", "paid_at")


class StaleVersion(Exception):
    """The invoice changed since the caller read it (optimistic concurrency)."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"The invoice was changed by someone else (version {current}, you had {expected}).")
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class TransitionOutcome:
    invoice: Invoice
    change: StatusChange


def _append_history(
    *, invoice: Invoice, from_status: str, to_status: str, actor: Actor, door: str, reason: str, at: datetime
) -> StatusChange:
    return StatusChange.objects.create(
        invoice=invoice,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor_type=actor.type,
        actor_user=actor.user,
        actor_client=actor.client,
        actor_label=actor.label[:150],
        door=door,
        reason=reason,
    )


def _full_clean_lines(lines: Sequence[Mapping[str, Any]]) -> list[InvoiceLine]:
    built = []
    errors: list[str] = []
    for position, data in enumerate(lines, start=1):
        unknown = set(data) - set(LINE_FIELDS)
        if unknown:
            errors.append(f"line {position}: unknown field(s) {', '.join(sorted(unknown))}")
            continue
        line = InvoiceLine(position=position, **data)
        try:
            # The lines' check constraints repeat their fields' validators: checking them again would cost a
            # database round trip per constraint and line (the database still enforces them on insert).
            line.full_clean(exclude=["invoice"], validate_constraints=False)
        except ValidationError as exc:
            errors.extend(f"line {position}: {field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        built.append(line)
    if errors:
        raise ValidationError(errors)
    return built


def _full_clean_orders(orders: Sequence[Mapping[str, Any]]) -> list[InvoiceOrder]:
    built = []
    errors: list[str] = []
    seen: set[str] = set()
    for position, data in enumerate(orders, start=1):
        unknown = set(data) - set(ORDER_FIELDS)
        if unknown:
            errors.append(f"order {position}: unknown field(s) {', '.join(sorted(unknown))}")
            continue
        order = InvoiceOrder(**data)
        try:
            order.full_clean(exclude=["invoice"])
        except ValidationError as exc:
            errors.extend(f"order {position}: {field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        if order.order_id in seen:
            errors.append(f"order {position}: order {order.order_id} is listed twice")
        seen.add(order.order_id)
        built.append(order)
    if errors:
        raise ValidationError(errors)
    return built


def invoice_recalculate(*, invoice: Invoice) -> Invoice:
    """Recompute subtotal, tax and total from the lines (caller saves; used inside the services' transactions)."""
    totals = compute_totals(
        (line.amounts() for line in invoice.lines.all()), discount=invoice.discount, currency=invoice.currency
    )
    if totals.discount > totals.subtotal:
        raise ValidationError({"discount": "The discount cannot exceed the subtotal of the lines."})
    invoice.subtotal, invoice.tax, invoice.total = totals.subtotal, totals.tax, totals.total
    invoice.discount = totals.discount
    return invoice


@transaction.atomic
def invoice_create(
    *,
    account: ProviderAccount,
    number: str,
    customer_name: str,
    currency: str,
    issue_date: date,
    lines: Sequence[Mapping[str, Any]] = (),
    orders: Sequence[Mapping[str, Any]] = (),
    actor: Actor,
    door: str,
    reason: str = "",
    status: str = InvoiceStatus.DRAFT,
    **fields: Any,
) -> Invoice:
    """Create an invoice with its lines and orders. An invoice imported from a provider may start in the status the
    provider reports; the history then records that it arrived so (from blank)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown or read-only field(s): {', '.join(sorted(unknown))}.")
    if status not in InvoiceStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    invoice = Invoice(
        account=account,
        number=number,
        customer_name=customer_name,
        currency=currency,
        issue_date=issue_date,
        status=status,
        **fields,
    )
    now = timezone.now()
    if status == InvoiceStatus.PAID:
        invoice.paid_at = now
    if status == InvoiceStatus.VOID:
        invoice.voided_at = now
    invoice.full_clean(exclude=["subtotal", "tax", "total"])
    built_lines = _full_clean_lines(lines)
    built_orders = _full_clean_orders(orders)
    invoice.save()
    for line in built_lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built_lines)
    for order in built_orders:
        order.invoice = invoice
    InvoiceOrder.objects.bulk_create(built_orders)
    invoice_recalculate(invoice=invoice)
    invoice.save(update_fields=["subtotal", "tax", "total", "discount", "updated_at"])
    _append_history(
        invoice=invoice, from_status="", to_status=status, actor=actor, door=door, reason=reason or "created", at=now
    )
    return invoice


@transaction.atomic
def invoice_update(
    *,
    invoice_id: int,
    actor: Actor,
    door: str,
    expected_version: int | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    orders: Sequence[Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Invoice:
    """Update editable fields (and optionally replace lines/orders) under a row lock, refusing stale versions and
    edits the invoice's provider would refuse."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown or read-only field(s): {', '.join(sorted(unknown))}.")
    # The invoice's row only (not its account's): changes to the account's other invoices go on meanwhile.
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("account").get(pk=invoice_id)
    if expected_version is not None and expected_version != invoice.version:
        raise StaleVersion(expected_version, invoice.version)
    changed = {name for name, value in fields.items() if getattr(invoice, name) != value}
    if lines is not None:
        changed.add("lines")
    if orders is not None:
        changed.add("orders")
    if not changed:
        return invoice
    before = invoice_data(invoice)
    rules.check_edit(invoice.account.kind, before, changed)
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.full_clean(exclude=["subtotal", "tax", "total", "number", "account"])
    if lines is not None:
        built_lines = _full_clean_lines(lines)
        invoice.lines.all().delete()
        for line in built_lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(built_lines)
    if orders is not None:
        built_orders = _full_clean_orders(orders)
        invoice.orders.all().delete()
        for order in built_orders:
            order.invoice = invoice
        InvoiceOrder.objects.bulk_create(built_orders)
    invoice_recalculate(invoice=invoice)
    invoice.version += 1
    invoice.save()
    if door not in DOORS_WITHOUT_DELIVERY:
        for operation in rules.edit_operations(invoice.account.kind, before, changed):
            enqueue_delivery(invoice=invoice, operation=operation, requested_by=actor.label)
    return invoice


@transaction.atomic
def invoice_transition(
    *,
    invoice_id: int,
    to_status: str,
    actor: Actor,
    door: str,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> TransitionOutcome:
    """Move an invoice to another status: lock, check the table and the provider's rules, save, append history."""
    # The invoice's row only (not its account's): changes to the account's other invoices go on meanwhile.
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("account").get(pk=invoice_id)
    if expected_version is not None and expected_version != invoice.version:
        raise StaleVersion(expected_version, invoice.version)
    from_status = invoice.status
    check_transition(from_status, to_status)
    before = invoice_data(invoice)
    rules.check_transition(invoice.account.kind, before, to_status)
    now = at or timezone.now()
    invoice.status = to_status
    if to_status == InvoiceStatus.PAID:
        invoice.paid_at = now
    elif to_status == InvoiceStatus.VOID:
        invoice.voided_at = now
    invoice.version += 1
    invoice.save(update_fields=["status", "paid_at", "voided_at", "version", "updated_at"])
    change = _append_history(
        invoice=invoice, from_status=from_status, to_status=to_status, actor=actor, door=door, reason=reason, at=now
    )
    if door not in DOORS_WITHOUT_DELIVERY:
        for operation in rules.transition_operations(invoice.account.kind, before, to_status):
            enqueue_delivery(
                invoice=invoice,
                operation=operation,
                from_status=from_status,
                to_status=to_status,
                status_change=change,
                requested_by=actor.label,
            )
    return TransitionOutcome(invoice=invoice, change=change)


@dataclass(frozen=True)
class BulkOutcome:
    invoice_id: int
    number: str
    ok: bool
    message: str


def invoices_bulk_transition(
    *, invoice_ids: Iterable[int], to_status: str, actor: Actor, door: str, reason: str = ""
) -> list[BulkOutcome]:
    """One transaction per invoice, so one refusal does not undo the others; one outcome per row."""
    outcomes = []
    for invoice_id in invoice_ids:
        number = Invoice.objects.filter(pk=invoice_id).values_list("number", flat=True).first() or str(invoice_id)
        try:
            invoice_transition(invoice_id=invoice_id, to_status=to_status, actor=actor, door=door, reason=reason)
        except (IllegalTransition, ValidationError, Invoice.DoesNotExist) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            outcomes.append(BulkOutcome(invoice_id, number, False, message))
        else:
            outcomes.append(BulkOutcome(invoice_id, number, True, f"now {InvoiceStatus(to_status).label}"))
    return outcomes


# --- What a provider reports (webhooks) -------------------------------------------------------------------------
PROVIDER_ORDER_FIELDS = frozenset({"order_id", "payment_status", "amount", "fee", "gateway", "paid_at"})


@dataclass(frozen=True)
class ProviderEventOutcome:
    invoice: Invoice
    applied: bool  # False: the event carried nothing newer than the invoice already reflects; nothing changed
    message: str


@transaction.atomic
def invoice_apply_provider_event(
    *,
    invoice_id: int,
    actor: Actor,
    door: str,
    reason: str,
    occurred_at: datetime | None,
    to_status: str | None = None,
    paid_at: datetime | None = None,
    order_payments: Sequence[Mapping[str, Any]] = (),
) -> ProviderEventOutcome:
    """Apply what a provider reports about an invoice: its status (through the intermediate steps the lifecycle
    needs, each one checked and recorded as any change is), its orders' payment states and when it was paid.

    Never moves the invoice backwards: an event older than the newest one applied (`last_provider_event_at`), or
    one reporting a status the invoice has already passed, changes nothing. A move the lifecycle or the provider
    refuses raises IllegalTransition, and nothing changes either."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    last = invoice.last_provider_event_at
    if occurred_at is not None and last is not None and occurred_at < last:
        return ProviderEventOutcome(
            invoice,
            False,
            f"{invoice.number}: the event ({occurred_at.isoformat()}) is older than the newest one already "
            f"applied ({last.isoformat()}); nothing changed",
        )
    changes: list[str] = []
    if to_status and to_status != invoice.status:
        if lifecycle_path(to_status, invoice.status) is not None:
            return ProviderEventOutcome(
                invoice,
                False,
                f"{invoice.number} is already past {label(to_status)} (it is {label(invoice.status)}); nothing changed",
            )
        steps = lifecycle_path(invoice.status, to_status)
        if steps is None:
            check_transition(invoice.status, to_status)  # raises, naming the moves allowed from here
            raise IllegalTransition(invoice.status, to_status)
        for step in steps:
            invoice_transition(invoice_id=invoice.pk, to_status=step, actor=actor, door=door, reason=reason)
        changes.append(" → ".join([invoice.status, *steps]))
        invoice.refresh_from_db()
    touched = _apply_order_payments(invoice, order_payments, changes)
    if paid_at is not None and invoice.status == InvoiceStatus.PAID and invoice.paid_at != paid_at:
        invoice.paid_at = paid_at
        changes.append(f"paid at {paid_at.isoformat()}")
        touched = True
    if touched:
        invoice.version += 1
    if occurred_at is not None and (last is None or occurred_at > last):
        invoice.last_provider_event_at = occurred_at
    invoice.save(update_fields=["paid_at", "last_provider_event_at", "version", "updated_at"])
    summary = "; ".join(changes) if changes else f"already {label(invoice.status)}, nothing to change"
    return ProviderEventOutcome(invoice, True, f"{invoice.number}: {summary}")


def _apply_order_payments(invoice: Invoice, payments: Sequence[Mapping[str, Any]], changes: list[str]) -> bool:
    """Set each reported order's payment state; orders the invoice does not cover are named, never created."""
    orders = {order.order_id.lower(): order for order in invoice.orders.all()}
    touched = False
    for payment in payments:
        unknown = set(payment) - PROVIDER_ORDER_FIELDS
        if unknown:
            raise ValidationError(f"Unknown order field(s): {', '.join(sorted(unknown))}.")
        order_id = str(payment.get("order_id", ""))
        order = orders.get(order_id.lower())
        if order is None:
            changes.append(f"order {order_id} is not on this invoice (left alone)")
            continue
        status = payment.get("payment_status")
        if status is not None and status not in OrderPaymentStatus.values:
            raise ValidationError(f"Unknown order payment status {status!r}.")
        wanted = {name: value for name, value in payment.items() if name != "order_id" and value is not None}
        if "gateway" in wanted:
            wanted["gateway"] = {**(order.gateway or {}), **wanted["gateway"]}
        fields = [name for name, value in wanted.items() if getattr(order, name) != value]
        if not fields:
            continue
        before = order.payment_status
        for name in fields:
            setattr(order, name, wanted[name])
        order.save(update_fields=fields)
        what = f"{before or '-'} → {order.payment_status}" if "payment_status" in fields else "payment details"
        changes.append(f"order {order.order_id}: {what}")
        touched = True
    return touched


# --- API clients (issued by `invoices.api_clients.api_client_create`) ---------------------------------------
@transaction.atomic
def api_client_update(
    *, client_id: int, is_active: bool | None = None, account_ids: Iterable[int] | None = None
) -> ApiClient:
    """Activate or deactivate a client and/or set the accounts it may act on (never its credentials)."""
    client = ApiClient.objects.select_for_update().get(pk=client_id)
    if account_ids is not None:
        wanted = set(account_ids)
        accounts = list(ProviderAccount.objects.filter(pk__in=wanted))
        missing = wanted - {account.pk for account in accounts}
        if missing:
            ids = ", ".join(map(str, sorted(missing)))
            raise ValidationError({"accounts": f"No provider account with id {ids}."})
        client.accounts.set(accounts)
    if is_active is not None and client.is_active != is_active:
        client.is_active = is_active
        client.save(update_fields=["is_active"])
    return client


@transaction.atomic
def api_clients_deactivate(*, client_ids: Iterable[int]) -> list[str]:
    """Deactivate the given clients at once (their requests are refused from now on); returns the names of
    those that were active."""
    active = ApiClient.objects.select_for_update().filter(pk__in=list(client_ids), is_active=True)
    names = sorted(active.values_list("name", flat=True))
    active.update(is_active=False)
    return names
