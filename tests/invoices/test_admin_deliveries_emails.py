"""The invoice page shows what became of the invoice (its deliveries and its emails); invoice emails are sent
from the invoice list after a confirmation naming the recipients."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.emails import invoice_email_request, invoice_email_send
from invoices.models import Delivery, DeliveryState, Door, EmailState, Invoice, InvoiceEmail, StoredEmail
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invoices_invoice_changelist")
CONFIRM_TEMPLATE = "admin/invoices/invoice/confirm_email.html"


def logged_in(role: str = "operator") -> tuple[Client, Any]:
    user = UserFactory(role=role)
    client = Client()
    client.force_login(user)
    return client, user


def invoice(**fields: Any) -> Invoice:
    return make_invoice(account=ProviderAccountFactory(kind="generic"), **fields)


def invoice_page(client: Client, of: Invoice) -> Any:
    return client.get(reverse("admin:invoices_invoice_change", args=[of.pk]))


def ask(client: Client, invoices: list[Invoice]) -> Any:
    return client.post(CHANGELIST, {"action": "send_email", "_selected_action": [i.pk for i in invoices], "index": "0"})


def confirm(client: Client, invoices: list[Invoice]) -> Any:
    return client.post(
        CHANGELIST, {"action": "send_email", "_selected_action": [i.pk for i in invoices], "post": "yes"}
    )


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


# --- the invoice page ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_the_invoice_page_lists_its_deliveries_with_their_outcome_and_links(role: str) -> None:
    # given a delivery the provider refused, and one still waiting
    client, _ = logged_in(role)
    subject = invoice()
    refused = invoice_push(invoice_id=subject.pk, actor=Actor.system("test"))
    Delivery.objects.filter(pk=refused.pk).update(
        state=DeliveryState.FAILED,
        attempts=1,
        last_error_kind="rejected",
        last_error="Invoice not found. (HTTP 404)",
        provider_message="Invoice not found.",
    )
    waiting = invoice_push(invoice_id=subject.pk, actor=Actor.system("test"))

    # when
    response = invoice_page(client, subject)

    # then
    html = response.content.decode()
    assert reverse("admin:invoices_delivery_change", args=[refused.pk]) in html
    assert reverse("admin:invoices_delivery_change", args=[waiting.pk]) in html
    assert "delivery-failed" in html
    assert "delivery-pending" in html
    assert "Invoice not found." in html
    assert f"1/{refused.max_attempts}" in html
    [inline] = [i for i in response.context["inline_admin_formsets"] if i.formset.model is Delivery]
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
        False,
        False,
        False,
    )


def test_the_invoice_page_lists_its_emails_with_a_link_to_the_message_the_embedded_backend_kept() -> None:
    # given one email sent through the embedded backend, and one that failed
    client, _ = logged_in("viewer")
    subject = invoice(customer_email="ada@example.com")
    sent = invoice_email_request(invoice_id=subject.pk, actor=Actor.system("test"), door=Door.ADMIN)
    with override_settings(EMAIL_BACKEND="invoices.mail_backend.DatabaseEmailBackend"):
        invoice_email_send(email_id=sent.pk)
    failed = invoice_email_request(invoice_id=subject.pk, actor=Actor.system("test"), door=Door.ADMIN)
    InvoiceEmail.objects.filter(pk=failed.pk).update(
        state=EmailState.FAILED, error="SMTPRecipientsRefused: mailbox unavailable"
    )

    # when
    html = invoice_page(client, subject).content.decode()

    # then
    stored = StoredEmail.objects.get()
    sent.refresh_from_db()
    assert sent.state == EmailState.SENT
    assert reverse("admin:invoices_storedemail_message", args=[stored.pk]) in html
    assert reverse("admin:invoices_invoiceemail_change", args=[failed.pk]) in html
    assert "email-sent" in html
    assert "email-failed" in html
    assert "ada@example.com" in html
    assert "mailbox unavailable" in html


def test_a_new_invoice_page_has_no_deliveries_or_emails_sections() -> None:
    client, _ = logged_in()

    response = client.get(reverse("admin:invoices_invoice_add"))

    models = {i.formset.model for i in response.context["inline_admin_formsets"]}
    assert Delivery not in models
    assert InvoiceEmail not in models


# --- sending invoice emails ------------------------------------------------------------------------------------
def test_the_confirmation_lists_the_recipients_of_each_invoice_and_warns_of_a_refusal() -> None:
    client, _ = logged_in()
    with_email = invoice(customer_email="grace@example.com")
    without = invoice(customer_email="")

    page = ask(client, [with_email, without])

    assert page.status_code == 200
    assert next(t.name for t in page.templates) == CONFIRM_TEMPLATE
    html = page.content.decode()
    assert "grace@example.com" in html
    assert "Will be refused: no customer email address" in html
    assert "Yes, send 1 email" in html
    assert not InvoiceEmail.objects.exists()  # nothing is queued before the confirmation


def test_sending_queues_one_email_per_invoice_and_refuses_one_without_a_customer_email() -> None:
    # given
    client, user = logged_in()
    first = invoice(customer_email="ada@example.com")
    second = invoice(customer_email="grace@example.com")
    without = invoice(customer_email="")

    # when
    response = confirm(client, [first, second, without])

    # then
    emails = {email.invoice_id: email for email in InvoiceEmail.objects.all()}
    assert set(emails) == {first.pk, second.pk}
    assert all(email.state == EmailState.QUEUED for email in emails.values())
    assert all((email.door, email.requested_by) == (Door.ADMIN, user.username) for email in emails.values())
    assert emails[first.pk].to == "ada@example.com"
    messages = messages_of(response)
    assert messages[:2] == [
        ("success", f"Invoice {first.number}: email #{emails[first.pk].pk} queued to ada@example.com."),
        ("success", f"Invoice {second.number}: email #{emails[second.pk].pk} queued to grace@example.com."),
    ]
    level, refusal = messages[2]
    assert level == "error"
    assert refusal.startswith(f"Invoice {without.number}: not sent: Invoice {without.number} has no customer email")
    assert messages[3] == ("info", "2 of 3 invoice emails queued; 1 refused.")


def test_when_no_invoice_has_a_recipient_the_page_offers_no_confirmation() -> None:
    client, _ = logged_in()

    html = ask(client, [invoice(customer_email="")]).content.decode()

    assert "Yes, send" not in html
    assert "there is no one to send to" in html


def test_a_viewer_gets_no_email_action_and_is_refused_it() -> None:
    client, _ = logged_in("viewer")
    subject = invoice(customer_email="ada@example.com")

    listing = client.get(CHANGELIST)
    asked = ask(client, [subject])
    confirmed = confirm(client, [subject])

    assert "send_email" not in action_names(listing)
    assert (asked.status_code, confirmed.status_code) == (403, 403)
    assert not InvoiceEmail.objects.exists()


@pytest.mark.parametrize("role", ["operator", "administrator"])
def test_operators_and_administrators_have_the_email_action(role: str) -> None:
    client, _ = logged_in(role)
    invoice()

    assert "send_email" in action_names(client.get(CHANGELIST))
