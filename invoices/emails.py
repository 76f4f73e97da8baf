"""Invoice emails: request one (a row, then a task after commit), send it at most once, and let staff settle
the ones whose fate is unknown.

At most once, not at least once: a customer who receives the same invoice twice may pay it twice. So a send is
claimed by a conditional UPDATE before anything leaves, a retried task finds the row sent or in flight and
stops, and a row left in `sending` by a dead worker is never retried by itself: it becomes `uncertain` and a
person decides (`invoice_email_resend` creates a new email, so every attempt keeps its own record).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import timedelta
from email.utils import parseaddr
from functools import partial
from uuid import uuid4

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from providers.redaction import redact_text

from .actors import Actor
from .models import Door, EmailState, Invoice, InvoiceEmail
from .pdf import invoice_document, render_invoice_pdf

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "emails/invoice_subject.txt"
TEXT_TEMPLATE = "emails/invoice.txt"
HTML_TEMPLATE = "emails/invoice.html"

DEFAULT_STALE_AFTER = timedelta(hours=1)
MAX_ERROR_LENGTH = 2000

# The server answered with a refusal: it accepted nothing, so the email certainly did not go out.
SMTP_REFUSALS: tuple[type[Exception], ...] = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
)

IN_FLIGHT = (EmailState.SENDING, EmailState.UNCERTAIN)

UNCERTAIN_MESSAGE = (
    "The send was interrupted: the message may or may not have reached the mail server. Check with the "
    "recipient or the mail server's logs (search for the Message-ID) before resending."
)


# --- Requesting ---------------------------------------------------------------------------------------------
def _recipients(invoice: Invoice, to: str | Sequence[str] | None) -> list[str]:
    given = [invoice.customer_email] if to is None else (to.split(",") if isinstance(to, str) else list(to))
    recipients: list[str] = []
    for address in (a.strip() for a in given):
        if address and address.lower() not in {r.lower() for r in recipients}:
            recipients.append(address)
    if not recipients:
        raise ValidationError(
            f"Invoice {invoice.number} has no customer email address: add one to the invoice, or give the "
            "recipients explicitly."
        )
    invalid = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
    if invalid:
        raise ValidationError(f"Not a valid email address: {', '.join(invalid)}.")
    return recipients


def render_subject(invoice: Invoice) -> str:
    # A header cannot hold a newline; a template's trailing one is the usual culprit.
    subject = render_to_string(SUBJECT_TEMPLATE, invoice_document(invoice))
    return " ".join(subject.split())[:300]


def _enqueue(email_id: int) -> None:
    from .email_tasks import send_invoice_email  # the task module imports this one

    send_invoice_email.delay(email_id)


def invoice_email_request(
    *, invoice_id: int, actor: Actor, door: str, to: str | Sequence[str] | None = None
) -> InvoiceEmail:
    """Record a request to email an invoice (to its customer unless `to` is given); queue it after commit."""
    with transaction.atomic():
        invoice = Invoice.objects.get(pk=invoice_id)
        recipients = _recipients(invoice, to)
        email = InvoiceEmail.objects.create(
            invoice=invoice,
            to=", ".join(recipients),
            subject=render_subject(invoice),
            state=EmailState.QUEUED,
            idempotency_key=uuid4().hex,
            requested_by=actor.label[:150],
            door=door,
        )
        # robust: the row is committed whatever the broker does; a queued row is safe to enqueue again later.
        transaction.on_commit(partial(_enqueue, email.pk), robust=True)
    logger.info("invoice email %s queued for invoice %s by %s", email.pk, invoice.number, email.requested_by)
    return email


# --- Sending ------------------------------------------------------------------------------------------------
def message_id_for(email: InvoiceEmail) -> str:
    """One Message-ID per email, set before the send, so mail server logs can settle an uncertain one."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    # Kept short so the header fits one line: a folded Message-ID is valid but trips naive log searches.
    return f"<{email.idempotency_key}@{domain}>"


def attachment_name(invoice: Invoice) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in invoice.number).strip(".")
    return f"{safe or invoice.pk}.pdf"


def invoice_email_message(email: InvoiceEmail) -> mail.EmailMultiAlternatives:
    """The message as it goes out: text body, HTML alternative, the invoice PDF attached."""
    invoice = email.invoice
    context = invoice_document(invoice)
    message = mail.EmailMultiAlternatives(
        subject=email.subject,
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[a.strip() for a in email.to.split(",") if a.strip()],
        headers={"Message-ID": message_id_for(email)},
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    message.attach(attachment_name(invoice), render_invoice_pdf(invoice), "application/pdf")
    return message


def _error_text(exc: BaseException) -> str:
    secrets = [getattr(settings, "EMAIL_HOST_PASSWORD", ""), getattr(settings, "EMAIL_HOST_USER", "")]
    text = redact_text(f"{type(exc).__name__}: {exc}", [s for s in secrets if isinstance(s, str)])
    return text[:MAX_ERROR_LENGTH]


def _finish(email_id: int, state: str, error: str = "") -> InvoiceEmail:
    # `uncertain` too: a slow send may be marked uncertain while it runs; its own outcome is better knowledge.
    InvoiceEmail.objects.filter(pk=email_id, state__in=IN_FLIGHT).update(state=state, error=error)
    return InvoiceEmail.objects.get(pk=email_id)


def _deliver(email_id: int, message: mail.EmailMultiAlternatives) -> InvoiceEmail:
    connection = mail.get_connection()
    try:
        connection.open()
    except Exception as exc:  # no connection, nothing handed over: the email certainly did not go out
        logger.warning("invoice email %s failed before sending: %s", email_id, type(exc).__name__)
        return _finish(email_id, EmailState.FAILED, _error_text(exc))
    try:
        sent = connection.send_messages([message])
    except SMTP_REFUSALS as exc:
        logger.warning("invoice email %s refused by the mail server: %s", email_id, type(exc).__name__)
        return _finish(email_id, EmailState.FAILED, _error_text(exc))
    except Exception as exc:
        # A timeout or a dropped connection after DATA may follow a delivery: retrying could send it twice.
        logger.warning("invoice email %s interrupted while sending: %s", email_id, type(exc).__name__)
        return _finish(email_id, EmailState.UNCERTAIN, f"{UNCERTAIN_MESSAGE}\n{_error_text(exc)}")
    finally:
        try:
            connection.close()
        except Exception:  # closing after a completed send changes nothing about its outcome
            logger.warning("invoice email %s: closing the mail connection failed", email_id, exc_info=True)
    if not sent:
        return _finish(email_id, EmailState.FAILED, "The email backend reported that it sent nothing.")
    InvoiceEmail.objects.filter(pk=email_id, state__in=IN_FLIGHT).update(
        state=EmailState.SENT, sent_at=timezone.now(), error=""
    )
    logger.info("invoice email %s sent", email_id)
    return InvoiceEmail.objects.get(pk=email_id)


def invoice_email_send(*, email_id: int) -> InvoiceEmail:
    """Send a queued email at most once. A mail failure is recorded on the row, never raised."""
    email = InvoiceEmail.objects.select_related("invoice").get(pk=email_id)
    if email.state != EmailState.QUEUED:
        logger.info("invoice email %s not sent again: it is %s", email_id, email.state)
        return email
    # Rendered before the claim: a worker lost while rendering leaves the row queued (nothing went out) and a
    # redelivery renders again, so only the send itself can leave a row `sending`.
    email.message_id = message_id_for(email)
    try:
        email.subject = render_subject(email.invoice)  # what goes out is what the row records
        message = invoice_email_message(email)
    except Exception as exc:  # nothing left the building: record why, rather than crash the worker in a loop
        logger.exception("invoice email %s could not be built", email_id)
        InvoiceEmail.objects.filter(pk=email_id, state=EmailState.QUEUED).update(
            state=EmailState.FAILED, error=_error_text(exc)
        )
        return InvoiceEmail.objects.get(pk=email_id)
    claimed = InvoiceEmail.objects.filter(pk=email_id, state=EmailState.QUEUED).update(
        state=EmailState.SENDING, subject=email.subject, message_id=email.message_id
    )
    if not claimed:
        email.refresh_from_db()
        logger.info("invoice email %s claimed by another worker: it is %s", email_id, email.state)
        return email
    return _deliver(email_id, message)


# --- Settling -----------------------------------------------------------------------------------------------
def invoice_emails_mark_uncertain(older_than: timedelta = DEFAULT_STALE_AFTER) -> int:
    """Rows still `sending` long after they were requested: their worker died mid-send. Never resent here."""
    # Age counts from the request (no claim time is kept). A send that is merely slow and gets marked here
    # still records its own outcome when it ends (see `IN_FLIGHT`).
    cutoff = timezone.now() - older_than
    count = InvoiceEmail.objects.filter(state=EmailState.SENDING, created_at__lt=cutoff).update(
        state=EmailState.UNCERTAIN, error=UNCERTAIN_MESSAGE
    )
    if count:
        logger.warning("%s invoice email(s) marked uncertain: staff must decide whether to resend", count)
    return count


def invoice_emails_requeue(older_than: timedelta = DEFAULT_STALE_AFTER) -> list[int]:
    """Enqueue again rows still `queued` (the broker was down at commit): safe, the send claims its row."""
    stale = InvoiceEmail.objects.filter(state=EmailState.QUEUED, created_at__lt=timezone.now() - older_than)
    ids = list(stale.values_list("pk", flat=True))
    for email_id in ids:
        _enqueue(email_id)
    return ids


@transaction.atomic
def invoice_email_resend(*, email_id: int, actor: Actor, door: str = Door.ADMIN) -> InvoiceEmail:
    """A person decided to send a failed or uncertain email again: a new email, the old one is kept."""
    original = InvoiceEmail.objects.select_for_update().get(pk=email_id)
    if original.state not in (EmailState.FAILED, EmailState.UNCERTAIN):
        raise ValidationError(
            f"Email #{original.pk} is {EmailState(original.state).label.lower()}: only failed or uncertain "
            "emails can be resent."
        )
    # Two people clicking "resend" on the same failure must not send two new emails.
    later = (
        InvoiceEmail.objects.filter(invoice_id=original.invoice_id, to=original.to, pk__gt=original.pk)
        .exclude(state=EmailState.FAILED)
        .order_by("pk")
        .first()
    )
    if later is not None:
        raise ValidationError(
            f"Email #{original.pk} was already sent again as email #{later.pk} "
            f"({EmailState(later.state).label.lower()})."
        )
    return invoice_email_request(invoice_id=original.invoice_id, actor=actor, door=door, to=original.to)
