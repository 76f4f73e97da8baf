"""Celery tasks for invoice emails. They take ids; running one twice is harmless, the send claims its row."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from .emails import invoice_email_send, invoice_emails_mark_uncertain, invoice_emails_requeue
from .models import InvoiceEmail

logger = logging.getLogger(__name__)


# acks_late: a worker lost mid-task leaves the message on the broker; the redelivery then finds the row
# `sending` and stops, which is what keeps the send at most once.
@shared_task(name="invoices.send_invoice_email", acks_late=True)
def send_invoice_email(email_id: int) -> str:
    try:
        return invoice_email_send(email_id=email_id).state
    except InvoiceEmail.DoesNotExist:
        logger.warning("invoice email %s does not exist (any more): nothing to send", email_id)
        return "missing"


@shared_task(name="invoices.sweep_invoice_emails")
def sweep_invoice_emails(stale_after_minutes: int = 60) -> dict[str, int]:
    """Periodic: re-enqueue emails whose enqueue was lost, and flag the ones a dead worker left mid-send."""
    stale_after = timedelta(minutes=stale_after_minutes)
    requeued = invoice_emails_requeue(stale_after)
    uncertain = invoice_emails_mark_uncertain(stale_after)
    return {"requeued": len(requeued), "uncertain": uncertain}
