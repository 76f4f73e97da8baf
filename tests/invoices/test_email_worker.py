"""Invoice emails through a real Celery worker and the real broker: the request enqueues after commit, the
worker finds the task by name and sends every email; a second delivery of a task finds its email sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.actors import Actor
from invoices.email_tasks import send_invoice_email
from invoices.emails import invoice_email_request
from invoices.models import Door, EmailState, InvoiceEmail
from tests.e2e.workers import celery_worker, wait_until
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def states() -> list[str]:
    return list(InvoiceEmail.objects.order_by("id").values_list("state", flat=True))


def test_a_worker_sends_every_requested_email_and_shrugs_off_a_second_delivery(tmp_path: Path) -> None:
    account = ProviderAccountFactory(kind="generic")
    invoices = [make_invoice(account=account, status="open") for _ in range(3)]
    actor = Actor.system("test")

    with celery_worker(tmp_path, concurrency=2, name="mailer"):
        emails = [invoice_email_request(invoice_id=i.pk, actor=actor, door=Door.COMMAND) for i in invoices]
        for email in emails:  # a second delivery of every task, as a broker redelivery would make
            send_invoice_email.delay(email.pk)
        wait_until(lambda: states() == ["sent"] * 3, timeout=90, what="every email sent", report=states)

    for email in InvoiceEmail.objects.all():
        assert email.state == EmailState.SENT
        assert email.message_id == f"<{email.idempotency_key}@backoffice.localhost>"
        assert email.sent_at is not None
        assert email.error == ""
