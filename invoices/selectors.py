"""Reads. `invoice_data` turns an invoice into the plain data adapters receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from providers.base import InvoiceData, LineData, OrderData

from .models import Delivery, DeliveryAttempt, Invoice, InvoiceEmail, StatusChange, StoredEmail, WebhookEvent
from .money import line_amount, line_tax


def invoice_data(invoice: Invoice) -> InvoiceData:
    currency = invoice.currency
    lines = tuple(
        LineData(
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            amount=line_amount(line.amounts(), currency),
            tax=line_tax(line.amounts(), currency),
        )
        for line in invoice.lines.all()
    )
    orders = tuple(
        OrderData(
            order_id=o.order_id,
            payee_ref=o.payee_ref,
            payer_ref=o.payer_ref,
            payment_status=o.payment_status,
            amount=o.amount,
            fee=o.fee,
            gateway=dict(o.gateway or {}),
            paid_at=o.paid_at,
        )
        for o in invoice.orders.all()
    )
    return InvoiceData(
        id=invoice.pk,
        number=invoice.number,
        invoice_type=invoice.invoice_type,
        status=invoice.status,
        currency=currency,
        customer_name=invoice.customer_name,
        issue_date=invoice.issue_date,
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        discount=invoice.discount,
        total=invoice.total,
        remote_id=invoice.remote_id,
        remote_number=invoice.remote_number,
        customer_ref=invoice.customer_ref,
        receiving_account_ref=invoice.receiving_account_ref,
        customer_email=invoice.customer_email,
        description=invoice.description,
        due_date=invoice.due_date,
        paid_at=invoice.paid_at,
        voided_at=invoice.voided_at,
        courier=invoice.courier,
        tracking_number=invoice.tracking_number,
        tracking_url=invoice.tracking_url,
        dispatched_at=invoice.dispatched_at,
        metadata=dict(invoice.metadata or {}),
        provider_fields=dict(invoice.provider_fields or {}),
        lines=lines,
        orders=orders,
    )


def invoices_for_list() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("account")


# --- The invoice's timeline ----------------------------------------------------------------------------------
TimelineRecord = StatusChange | Delivery | DeliveryAttempt | InvoiceEmail | WebhookEvent

# Records stamped in the same instant read in cause-and-effect order: the change, the delivery it queued, the
# attempt that carried it; then emails and webhooks.
_RANK: dict[type, int] = {StatusChange: 0, Delivery: 1, DeliveryAttempt: 2, InvoiceEmail: 3, WebhookEvent: 4}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    record: TimelineRecord

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[type(self.record)], self.record.pk or 0)


def invoice_timeline(
    *, invoice_id: int, deliveries: bool = True, emails: bool = True, webhooks: bool = True
) -> list[TimelineItem]:
    """Everything recorded about one invoice, oldest first: status changes, deliveries and each of their attempts,
    emails, and the provider webhook events matched to it.

    One query per kind of record (five at most), however long the invoice's history: attempts come with their
    delivery joined, emails with the id of the message the embedded backend kept. The flags leave out what the
    reader may not see."""
    items = [TimelineItem(change.at, change) for change in StatusChange.objects.filter(invoice_id=invoice_id)]
    if deliveries:
        items += [TimelineItem(d.created_at, d) for d in Delivery.objects.filter(invoice_id=invoice_id)]
        attempts = DeliveryAttempt.objects.filter(delivery__invoice_id=invoice_id).select_related("delivery")
        items += [TimelineItem(attempt.started_at, attempt) for attempt in attempts]
    if emails:
        stored = StoredEmail.objects.filter(message_id=OuterRef("message_id")).order_by("-id").values("pk")[:1]
        invoice_emails = InvoiceEmail.objects.filter(invoice_id=invoice_id).annotate(stored_email_id=Subquery(stored))
        items += [TimelineItem(email.created_at, email) for email in invoice_emails]
    if webhooks:
        events = WebhookEvent.objects.filter(invoice_id=invoice_id).select_related("account")
        items += [TimelineItem(event.received_at, event) for event in events]
    return sorted(items, key=lambda item: item.sort_key)
