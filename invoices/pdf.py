"""The printable invoice: one context shared by the PDF and the email bodies, and the PDF itself (WeasyPrint).

Amounts are formatted here, once, with the currency's minor units, so the PDF, the HTML and the text email
never disagree with each other or with the invoice's stored Decimal totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from .currencies import minor_units
from .lifecycle import InvoiceStatus
from .models import Invoice
from .money import round_money

PDF_TEMPLATE = "invoices/pdf/invoice.html"


def format_amount(amount: Decimal, currency: str) -> str:
    """`1234.5` in EUR → `1,234.50`; JPY shows no decimals, KWD three. Decimal formatting, never a float."""
    digits = minor_units(currency)
    return f"{round_money(amount, currency):,.{digits}f}"


def format_unit_price(price: Decimal, currency: str) -> str:
    # Unit prices may carry more digits than the currency (0.4567 per item): show them, or the printed line
    # amount would not be the quantity times the printed price.
    exponent = price.normalize().as_tuple().exponent
    digits = max(minor_units(currency), -exponent if isinstance(exponent, int) else 0)
    return f"{price:,.{digits}f}"


def format_quantity(quantity: Decimal) -> str:
    # 2.000 → "2", 1.500 → "1.5": quantities keep only the digits that say something.
    return f"{quantity.normalize():f}"


@dataclass(frozen=True)
class DocumentLine:
    position: int
    sku: str
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    amount: str


def invoice_document(invoice: Invoice) -> dict[str, Any]:
    """Template context for every rendering of an invoice (PDF, HTML email, text email)."""
    currency = invoice.currency
    lines = [
        DocumentLine(
            position=position,
            sku=line.sku,
            description=line.description or line.sku or f"Line {position}",
            quantity=format_quantity(line.quantity),
            unit_price=format_unit_price(line.unit_price, currency),
            tax_rate=format_quantity(line.tax_rate),
            amount=format_amount(line.amount, currency),
        )
        for position, line in enumerate(invoice.lines.all(), start=1)
    ]
    return {
        "invoice": invoice,
        "currency": currency,
        "lines": lines,
        "subtotal": format_amount(invoice.subtotal, currency),
        "discount": format_amount(invoice.discount, currency) if invoice.discount else "",
        "tax": format_amount(invoice.tax, currency),
        "total": format_amount(invoice.total, currency),
        "status_label": InvoiceStatus(invoice.status).label,
        "is_paid": invoice.status == InvoiceStatus.PAID,
        "is_void": invoice.status == InvoiceStatus.VOID,
        "is_refunded": invoice.status == InvoiceStatus.REFUNDED,
    }


def render_invoice_pdf(invoice: Invoice) -> bytes:
    # Imported here: WeasyPrint loads fonts and stylesheets on import, which every web and worker process
    # would otherwise pay for at startup.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(PDF_TEMPLATE, invoice_document(invoice))
    # Only inline data: URLs may be fetched: rendering never reaches the network or reads local files.
    offline = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=html, base_url=None, url_fetcher=offline).write_pdf()
    if pdf is None:  # only when a target file is given, which it never is here
        raise RuntimeError("WeasyPrint returned no PDF bytes.")
    return pdf
