from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from pypdf import PdfReader

from invoices.actors import Actor
from invoices.emails import invoice_email_request, invoice_email_send
from invoices.models import Door
from invoices.pdf import render_invoice_pdf
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.django_db

# Per currency: the invoice, the Decimal totals the services compute, and how they must be printed.
CASES = {
    "JPY": {
        "lines": [
            {
                "description": "Tatami mat",
                "quantity": Decimal("3"),
                "unit_price": Decimal("1234"),
                "tax_rate": 10,
            }
        ],
        "discount": Decimal("100"),
        "totals": (Decimal("3702"), Decimal("100"), Decimal("370"), Decimal("3972")),
        "printed": ("JPY 3,702", "JPY 100", "JPY 370", "JPY 3,972"),
    },
    "EUR": {
        "lines": [
            {
                "description": "Desk",
                "quantity": Decimal("2"),
                "unit_price": Decimal("617.285"),
                "tax_rate": 20,
            }
        ],
        "discount": Decimal("34.57"),
        "totals": (Decimal("1234.57"), Decimal("34.57"), Decimal("246.91"), Decimal("1446.91")),
        "printed": ("EUR 1,234.57", "EUR 34.57", "EUR 246.91", "EUR 1,446.91"),
    },
    "KWD": {
        "lines": [
            {
                "description": "Audit",
                "quantity": Decimal("1.5"),
                "unit_price": Decimal("905.2833"),
                "tax_rate": 5,
            }
        ],
        "discount": Decimal("0.5"),
        "totals": (Decimal("1357.925"), Decimal("0.500"), Decimal("67.896"), Decimal("1425.321")),
        "printed": ("KWD 1,357.925", "KWD 0.500", "KWD 67.896", "KWD 1,425.321"),
    },
}

TWO_LINES = [
    {
        "sku": "SKU-CHAIR",
        "description": "Office chair",
        "quantity": Decimal("2"),
        "unit_price": Decimal("149.90"),
    },
    {"sku": "SKU-LAMP", "description": "Desk lamp", "quantity": Decimal("1"), "unit_price": Decimal("1200")},
]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def sent_message(invoice: Any) -> Any:
    email = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system("test"), door=Door.ADMIN)
    invoice_email_send(email_id=email.pk)
    [message] = mail.outbox
    return message


@pytest.mark.parametrize("currency", list(CASES))
def test_the_pdf_prints_the_number_and_the_totals_with_the_currency_minor_units(currency: str) -> None:
    case = CASES[currency]
    invoice = make_invoice(
        account=ProviderAccountFactory(kind="generic"),
        currency=currency,
        lines=case["lines"],
        discount=case["discount"],
    )
    assert (invoice.subtotal, invoice.discount, invoice.tax, invoice.total) == case["totals"]

    pdf = render_invoice_pdf(invoice)

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert invoice.number in text
    subtotal, discount, tax, total = case["printed"]
    assert f"Subtotal {subtotal}" in text
    assert f"Discount \N{MINUS SIGN}{discount}" in text
    assert f"Tax {tax}" in text
    assert f"Total {total}" in text
    assert "1 December 2026" in text  # the due date


def test_the_pdf_of_a_paid_invoice_says_so() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="paid")

    text = pdf_text(render_invoice_pdf(invoice))

    assert "PAID" in text
    assert "Please pay" not in text


def test_the_html_and_text_bodies_list_each_line_and_the_total() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), currency="EUR", lines=TWO_LINES)
    assert invoice.total == Decimal("1499.80")

    message = sent_message(invoice)

    [(html, _)] = message.alternatives
    for body in (message.body, html):
        assert invoice.number in body
        assert "Office chair" in body
        assert "EUR 299.80" in body
        assert "Desk lamp" in body
        assert "EUR 1,200.00" in body
        assert "EUR 1,499.80" in body
        assert "1 December 2026" in body
        assert "Kind regards" in body
    assert "Total:    EUR 1,499.80" in message.body
    assert message.subject == f"Invoice {invoice.number} for Ada Lovelace (EUR 1,499.80)"


def test_a_paid_invoice_email_says_paid_and_asks_for_nothing() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="paid")

    message = sent_message(invoice)

    [(html, _)] = message.alternatives
    assert "PAID" in message.body
    assert "PAID" in html
    assert "Please pay" not in message.body
    assert message.subject.startswith("Paid: invoice ")


def test_customer_text_is_escaped_in_html_and_left_alone_in_the_text_body() -> None:
    invoice = make_invoice(
        account=ProviderAccountFactory(kind="generic"),
        customer_name="O'Brien & <Sons>",
        lines=[{"description": "<script>alert(1)</script>", "quantity": Decimal("1"), "unit_price": Decimal("5")}],
    )

    message = sent_message(invoice)

    [(html, _)] = message.alternatives
    assert "Dear O'Brien & <Sons>," in message.body
    assert "<script>" in message.body
    assert "O&#x27;Brien &amp; &lt;Sons&gt;" in html
    assert "<script>" not in html
    assert "O'Brien & <Sons>" in message.subject
