from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import override_settings

from invoices.actors import Actor
from invoices.emails import invoice_email_request, invoice_email_send
from invoices.models import Door, EmailState, StoredEmail
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = "invoices.mail_backend.DatabaseEmailBackend"


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@override_settings(EMAIL_BACKEND=DATABASE_BACKEND)
def test_the_database_backend_stores_an_invoice_email_whole() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), customer_email="ap@customer.example")
    queued = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system("test"), door=Door.ADMIN)

    sent = invoice_email_send(email_id=queued.pk)

    assert sent.state == EmailState.SENT
    stored = StoredEmail.objects.get()
    assert stored.message_id == sent.message_id
    assert stored.subject == sent.subject
    assert stored.from_email == "invoices@backoffice.localhost"
    assert stored.to == "ap@customer.example"
    assert invoice.number in stored.body_text
    assert stored.body_html.lstrip().startswith("<!DOCTYPE html>")
    [attachment] = stored.attachments
    assert attachment["name"] == f"{invoice.number}.pdf"
    assert attachment["type"] == "application/pdf"
    assert attachment["size"] > 1000

    raw = parse(bytes(stored.raw))
    assert raw["Message-ID"] == sent.message_id
    assert raw["Subject"] == sent.subject
    assert raw["To"] == "ap@customer.example"
    [pdf_part] = list(raw.iter_attachments())
    assert pdf_part.get_content_type() == "application/pdf"
    assert pdf_part.get_filename() == f"{invoice.number}.pdf"
    pdf = pdf_part.get_payload(decode=True)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) == attachment["size"]
    html = raw.get_body(preferencelist=("html",))
    assert html is not None
    assert invoice.number in html.get_content()


def test_the_database_backend_keeps_plain_messages_and_every_recipient() -> None:
    message = EmailMultiAlternatives(
        subject="Hello",
        body="Just text.",
        from_email="a@example.com",
        to=["b@example.com"],
        cc=["c@example.com"],
        bcc=["d@example.com"],
    )

    sent = get_connection(DATABASE_BACKEND).send_messages([message])

    assert sent == 1
    stored = StoredEmail.objects.get()
    assert (stored.subject, stored.body_text, stored.body_html) == ("Hello", "Just text.", "")
    assert stored.to == "b@example.com, c@example.com, d@example.com"
    assert stored.attachments == []
    assert stored.message_id.startswith("<")
    assert parse(bytes(stored.raw)).get_content().strip() == "Just text."


def test_the_embedded_backend_is_the_default_without_an_email_url() -> None:
    # The test settings force locmem; the production module picks the backend from EMAIL_URL.
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    env = {"DJANGO_SETTINGS_MODULE": "backoffice.settings", "DEBUG": "true", "EMAIL_URL": ""}
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    embedded = subprocess.run(run, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, check=True)
    smtp = subprocess.run(
        run,
        env={**env, "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )

    assert embedded.stdout.strip() == DATABASE_BACKEND
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"
