from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone

from invoices.actors import Actor
from invoices.email_tasks import send_invoice_email
from invoices.emails import (
    invoice_email_request,
    invoice_email_resend,
    invoice_email_send,
    invoice_emails_mark_uncertain,
    invoice_emails_requeue,
)
from invoices.models import Door, EmailState, Invoice, InvoiceEmail
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.django_db

SECRET = "s3cret-smtp-pass"
LINES = [
    {
        "sku": "SKU-CHAIR",
        "description": "Office chair",
        "quantity": Decimal("2"),
        "unit_price": Decimal("149.90"),
    },
    {
        "sku": "SKU-LAMP",
        "description": "Desk lamp",
        "quantity": Decimal("1"),
        "unit_price": Decimal("1200.00"),
        "tax_rate": Decimal("20"),
    },
]


@pytest.fixture
def eager_tasks(settings: Any) -> None:
    """Run tasks in-process when they are enqueued, as a worker would (same code path, no broker)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def generic_invoice(**fields: Any) -> Any:
    return make_invoice(account=ProviderAccountFactory(kind="generic"), **fields)


def request_email(invoice: Any, **kwargs: Any) -> InvoiceEmail:
    return invoice_email_request(invoice_id=invoice.pk, actor=Actor.system("test"), door=Door.ADMIN, **kwargs)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the login, quoting what it was given (some do)."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise smtplib.SMTPAuthenticationError(535, f"5.7.8 bad credentials mailer/{SECRET}".encode())


class TimingOutBackend(BaseEmailBackend):
    """The connection drops after the message was handed over: nobody knows whether it was delivered."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise TimeoutError("timed out waiting for the server's reply to DATA")


# --- requesting ---------------------------------------------------------------------------------------------


def test_a_request_is_queued_for_the_customer_and_sent_after_commit(
    django_capture_on_commit_callbacks: Any, eager_tasks: None
) -> None:
    invoice = generic_invoice(customer_email="billing@customer.example", lines=LINES)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = request_email(invoice)
    assert email.state == EmailState.QUEUED
    assert email.to == "billing@customer.example"
    assert email.requested_by == "test"
    assert len(email.idempotency_key) == 32
    assert invoice.number in email.subject
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    email.refresh_from_db()
    assert email.state == EmailState.SENT
    assert [m.to for m in mail.outbox] == [["billing@customer.example"]]


def test_an_invoice_without_a_customer_email_is_refused_and_nothing_is_queued(
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice = generic_invoice(customer_email="")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as excinfo:
        request_email(invoice)

    assert f"Invoice {invoice.number} has no customer email address" in excinfo.value.messages[0]
    assert InvoiceEmail.objects.count() == 0
    assert callbacks == []


def test_explicit_recipients_replace_the_customer_and_must_be_valid() -> None:
    invoice = generic_invoice(customer_email="")

    email = request_email(invoice, to="a@example.com, b@example.com,A@example.com")
    assert email.to == "a@example.com, b@example.com"

    with pytest.raises(ValidationError, match="Not a valid email address: not-an-address"):
        request_email(invoice, to=["ok@example.com", "not-an-address"])


# --- sending at most once -----------------------------------------------------------------------------------


def test_a_retried_task_sends_one_message() -> None:
    email = request_email(generic_invoice(lines=LINES))

    first = send_invoice_email.apply(args=(email.pk,))
    second = send_invoice_email.apply(args=(email.pk,))
    third = send_invoice_email.apply(args=(email.pk,))

    assert [first.result, second.result, third.result] == ["sent", "sent", "sent"]
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.state == EmailState.SENT
    assert email.sent_at is not None
    assert email.message_id == f"<{email.idempotency_key}@backoffice.localhost>"
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id


def test_an_email_in_flight_is_not_sent_by_a_second_worker() -> None:
    email = request_email(generic_invoice())
    InvoiceEmail.objects.filter(pk=email.pk).update(state=EmailState.SENDING)

    outcome = invoice_email_send(email_id=email.pk)

    assert outcome.state == EmailState.SENDING
    assert mail.outbox == []


def test_the_message_carries_text_html_and_the_pdf_named_after_the_invoice() -> None:
    invoice = generic_invoice(number="INV/2026/0042", lines=LINES)
    email = request_email(invoice)

    invoice_email_send(email_id=email.pk)

    message = mail.outbox[0]
    assert message.subject == email.subject
    assert message.from_email == "invoices@backoffice.localhost"
    assert "INV/2026/0042" in message.body
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("INV-2026-0042.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")


def test_a_task_for_a_missing_email_does_nothing() -> None:
    result = send_invoice_email.apply(args=(987654,))

    assert result.successful()
    assert result.result == "missing"
    assert mail.outbox == []


# --- failures -----------------------------------------------------------------------------------------------


def test_an_unreachable_smtp_server_marks_the_email_failed_without_raising_out_of_the_task() -> None:
    email = request_email(generic_invoice())

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed_port(),
        EMAIL_HOST_USER="mailer",
        EMAIL_HOST_PASSWORD=SECRET,
        EMAIL_TIMEOUT=2,
    ):
        result = send_invoice_email.apply(args=(email.pk,))

    assert result.successful()
    email.refresh_from_db()
    assert email.state == EmailState.FAILED
    assert "ConnectionRefusedError" in email.error
    assert email.sent_at is None


def test_an_email_that_cannot_be_rendered_is_failed_and_never_claimed() -> None:
    email = request_email(generic_invoice())
    # A currency the renderer does not know (the model validators stop this; a raw data fix might not).
    Invoice.objects.filter(pk=email.invoice_id).update(currency="XXX")

    result = send_invoice_email.apply(args=(email.pk,))

    assert result.successful()
    email.refresh_from_db()
    assert email.state == EmailState.FAILED
    assert "UnknownCurrency" in email.error
    assert mail.outbox == []


def test_a_refusal_marks_the_email_failed_and_never_records_the_credentials() -> None:
    email = request_email(generic_invoice())

    with override_settings(
        EMAIL_BACKEND=f"{__name__}.RefusingBackend", EMAIL_HOST_USER="mailer", EMAIL_HOST_PASSWORD=SECRET
    ):
        result = send_invoice_email.apply(args=(email.pk,))

    assert result.successful()
    email.refresh_from_db()
    assert email.state == EmailState.FAILED
    assert "SMTPAuthenticationError" in email.error
    assert "bad credentials" in email.error
    assert SECRET not in email.error


def test_a_send_interrupted_after_the_handover_is_uncertain_and_never_retried() -> None:
    email = request_email(generic_invoice())

    with override_settings(EMAIL_BACKEND=f"{__name__}.TimingOutBackend"):
        result = send_invoice_email.apply(args=(email.pk,))
    send_invoice_email.apply(args=(email.pk,))

    assert result.successful()
    email.refresh_from_db()
    assert email.state == EmailState.UNCERTAIN
    assert "may or may not have reached the mail server" in email.error
    assert "TimeoutError" in email.error
    assert mail.outbox == []


# --- stale rows and resending -------------------------------------------------------------------------------


def test_a_stale_sending_row_becomes_uncertain_and_is_not_sent_again() -> None:
    stale = request_email(generic_invoice())
    fresh = request_email(generic_invoice())
    InvoiceEmail.objects.filter(pk__in=[stale.pk, fresh.pk]).update(state=EmailState.SENDING)
    InvoiceEmail.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=2))

    marked = invoice_emails_mark_uncertain(timedelta(hours=1))
    send_invoice_email.apply(args=(stale.pk,))

    assert marked == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == EmailState.UNCERTAIN
    assert fresh.state == EmailState.SENDING
    assert mail.outbox == []


def test_resend_creates_a_new_email_and_keeps_the_old_one() -> None:
    original = request_email(generic_invoice(), to="ap@customer.example")
    InvoiceEmail.objects.filter(pk=original.pk).update(state=EmailState.UNCERTAIN)

    again = invoice_email_resend(email_id=original.pk, actor=Actor.system("staff"))

    assert again.pk != original.pk
    assert again.idempotency_key != original.idempotency_key
    assert (again.state, again.to, again.invoice_id) == (
        EmailState.QUEUED,
        "ap@customer.example",
        original.invoice_id,
    )
    assert again.requested_by == "staff"
    original.refresh_from_db()
    assert original.state == EmailState.UNCERTAIN
    invoice_email_send(email_id=again.pk)
    assert len(mail.outbox) == 1


def test_resend_is_refused_twice_for_the_same_failure_and_for_a_sent_email() -> None:
    original = request_email(generic_invoice())
    InvoiceEmail.objects.filter(pk=original.pk).update(state=EmailState.FAILED)
    again = invoice_email_resend(email_id=original.pk, actor=Actor.system())

    with pytest.raises(ValidationError, match=f"already sent again as email #{again.pk}"):
        invoice_email_resend(email_id=original.pk, actor=Actor.system())

    invoice_email_send(email_id=again.pk)
    with pytest.raises(ValidationError, match="only failed or uncertain emails can be resent"):
        invoice_email_resend(email_id=again.pk, actor=Actor.system())
    assert InvoiceEmail.objects.count() == 2


def test_an_email_whose_enqueue_was_lost_is_enqueued_again_by_the_sweep(eager_tasks: None) -> None:
    lost = request_email(generic_invoice())  # its on-commit enqueue never ran, as with a broker outage
    recent = request_email(generic_invoice())
    InvoiceEmail.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=2))

    requeued = invoice_emails_requeue(timedelta(hours=1))

    assert requeued == [lost.pk]
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.state, recent.state) == (EmailState.SENT, EmailState.QUEUED)
    assert len(mail.outbox) == 1
