"""The invoice's timeline on its page: status changes, deliveries and their attempts, emails and webhooks, in order."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.actors import Actor
from invoices.emails import invoice_email_request
from invoices.models import (
    Delivery,
    DeliveryAttempt,
    Door,
    Invoice,
    InvoiceEmail,
    StatusChange,
    StoredEmail,
    WebhookEvent,
)
from invoices.selectors import invoice_timeline
from invoices.services import invoice_transition
from providers.models import ProviderAccount
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db


def page_of(invoice: Invoice, client: Client) -> str:
    response = client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def logged_in(role: str = "viewer") -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


EXCHANGE = {
    "method": "PUT",
    "url": "https://api.example.test/api/v1/Invoice/Update",
    "request_headers": {"Authorization": "Bearer ***", "Content-Type": "application/json"},
    "request_body": '{"id":"abc","status":1}',
    "status_code": 404,
    "response_headers": {"Content-Type": "application/json"},
    "response_body": '{"succeeded":false,"message":"Invoice not found."}',
    "duration_ms": 41.5,
    "error": "",
}


def invoice_with_a_history(*, deliveries: int = 1) -> Invoice:
    """Created, opened (which queues a delivery), a failed attempt, more deliveries, an email, a webhook: each
    stamped minutes after the creation, whatever order they were written in. (Status changes are append-only,
    on PostgreSQL by a trigger too: the opening is stamped as it is made.)"""
    account = ProviderAccount.objects.filter(name="Generic").first() or ProviderAccountFactory(
        kind="generic", name="Generic"
    )
    invoice = make_invoice(account=account)
    created = StatusChange.objects.get(invoice=invoice).at

    def at(minutes: int) -> dt.datetime:
        return created + dt.timedelta(minutes=minutes)

    invoice_transition(
        invoice_id=invoice.pk,
        to_status="open",
        actor=Actor.system("alice"),
        door=Door.ADMIN,
        reason="Sent by post",
        at=at(1),
    )
    for n, delivery in enumerate(Delivery.objects.filter(invoice=invoice)):
        Delivery.objects.filter(pk=delivery.pk).update(created_at=at(1), state="failed", provider_message="Not found.")
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=1,
            started_at=at(2 + n),
            outcome="rejected",
            message="The provider refused the change: Invoice not found.",
            exchanges=[EXCHANGE],
            duration_ms=42,
        )
    for n in range(deliveries - 1):
        extra = Delivery.objects.create(
            invoice=invoice,
            account=invoice.account,
            idempotency_key=f"extra-{invoice.pk}-{n}",
            next_attempt_at=at(3),
            state="succeeded",
        )
        DeliveryAttempt.objects.create(
            delivery=extra, number=1, started_at=at(3), outcome="succeeded", exchanges=[EXCHANGE]
        )
    email = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system("bob"), door=Door.ADMIN)
    message_id = f"<m{email.pk}@test>"
    stored = StoredEmail.objects.create(message_id=message_id, from_email="a@b.c", to=email.to, subject="Inv", raw=b"")
    InvoiceEmail.objects.filter(pk=email.pk).update(created_at=at(10), message_id=message_id, state="sent")
    event = WebhookEvent.objects.create(
        kind="generic",
        account=invoice.account,
        event_type="invoice.paid",
        valid=True,
        state="processed",
        outcome="Invoice marked paid.",
        invoice=invoice,
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=at(20))
    invoice.stored_email_id = stored.pk  # type: ignore[attr-defined]
    return invoice


def kinds_in_order(html: str) -> list[str]:
    return re.findall(r'class="timeline-entry timeline-\w+" data-kind="(\w+)"', html)


def test_the_invoice_page_tells_what_happened_in_order() -> None:
    # given
    invoice = invoice_with_a_history()

    # when
    html = page_of(invoice, logged_in())

    # then
    assert kinds_in_order(html) == ["status", "status", "delivery", "attempt", "email", "webhook"]
    timeline = html[html.index('id="timeline"') :]
    assert "Created as Draft" in timeline
    assert "Draft → Open (sent)" in timeline
    assert "Sent by post" in timeline
    assert "by alice · Admin" in timeline
    assert "The provider refused the change: Invoice not found." in timeline
    assert "invoice.paid from Generic" in timeline
    assert "Invoice marked paid." in timeline
    assert reverse("admin:invoices_storedemail_message", args=[invoice.stored_email_id]) in timeline  # type: ignore[attr-defined]


def test_each_attempt_shows_its_redacted_request_and_response_folded_away() -> None:
    invoice = invoice_with_a_history()

    html = page_of(invoice, logged_in())

    details = html[html.index('<details class="timeline-exchanges">') :]
    details = details[: details.index("</details>")]
    assert "Request and response (1 exchange, secrets masked)" in details
    assert "PUT https://api.example.test/api/v1/Invoice/Update" in details
    assert "Authorization: Bearer ***" in details
    assert "HTTP 404" in details
    assert "&quot;message&quot;: &quot;Invoice not found.&quot;" in details  # pretty-printed


def test_the_timeline_costs_a_fixed_number_of_queries_however_long_the_history() -> None:
    short, long = invoice_with_a_history(deliveries=1), invoice_with_a_history(deliveries=8)
    client = logged_in()

    def selector_queries(invoice: Invoice) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            items = invoice_timeline(invoice_id=invoice.pk)
            [str(item.record) for item in items]
        return len(captured), len(items)

    def page_queries(invoice: Invoice) -> int:
        with CaptureQueriesContext(connection) as captured:
            page_of(invoice, client)
        return len(captured)

    (short_count, short_items), (long_count, long_items) = selector_queries(short), selector_queries(long)
    assert long_items == short_items + 14
    assert short_count == long_count == 5
    assert page_queries(short) == page_queries(long)


def test_what_a_user_may_not_see_stays_off_the_timeline() -> None:
    # given a staff user who may view invoices and nothing else
    invoice = invoice_with_a_history()
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client = Client()
    client.force_login(user)

    html = page_of(invoice, client)

    assert kinds_in_order(html) == ["status", "status"]


def test_a_page_that_is_not_registered_leaves_its_entry_without_a_link(monkeypatch: Any) -> None:
    from invoices.admin import timeline

    invoice = invoice_with_a_history()
    real_reverse = timeline.reverse

    def reverse_without_webhooks(name: str, *args: Any, **kwargs: Any) -> str:
        if "webhookevent" in name:
            raise timeline.NoReverseMatch(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(timeline, "reverse", reverse_without_webhooks)

    html = page_of(invoice, logged_in())

    assert "invoice.paid from Generic" in html
    assert "Open the event" not in html
