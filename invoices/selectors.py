"""Reads. `invoice_data` turns an invoice into the plain data adapters receive."""

from __future__ import annotations

from django.db.models import QuerySet

from providers.base import InvoiceData, LineData, OrderData

from .models import Invoice
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
