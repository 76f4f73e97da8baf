from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import Client, override_settings
from django.urls import reverse

import invoices.email_admin  # noqa: F401 - registers the email admins
from invoices.actors import Actor
from invoices.emails import invoice_email_request, invoice_email_send
from invoices.models import Door, EmailState, InvoiceEmail, StoredEmail
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored() -> StoredEmail:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), number="INV-ADMIN-1")
    email = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system("test"), door=Door.ADMIN)
    with override_settings(EMAIL_BACKEND="invoices.mail_backend.DatabaseEmailBackend"):
        invoice_email_send(email_id=email.pk)
    return StoredEmail.objects.get()


def message_url(stored: StoredEmail) -> str:
    return reverse("admin:invoices_storedemail_message", args=[stored.pk])


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_viewer_sees_the_stored_message_in_a_sandboxed_frame(stored: StoredEmail) -> None:
    viewer = UserFactory(role="viewer")
    assert viewer.has_perm("invoices.view_storedemail")

    response = logged_in(viewer).get(message_url(stored))

    assert response.status_code == 200
    page = response.content.decode()
    assert stored.subject in page
    assert "<iframe" in page
    assert " sandbox " in page
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page  # the doctype stays first: no quirks mode
    assert "Content-Security-Policy" in page
    assert "INV-ADMIN-1" in page
    assert "Kind regards" in page  # the text version
    assert "<script" not in stored.body_html


def test_hostile_html_stays_inside_the_frame_attribute() -> None:
    hostile = EmailMultiAlternatives("Hi", "text", "a@example.com", ["b@example.com"])
    html = '"><script>alert(1)</script><img src="https://tracker.example/p.gif">'
    hostile.attach_alternative(html, "text/html")
    get_connection("invoices.mail_backend.DatabaseEmailBackend").send_messages([hostile])
    stored = StoredEmail.objects.get()

    page = logged_in(UserFactory(role="viewer")).get(message_url(stored)).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<img src="https://tracker.example' not in page


def test_the_pdf_attachment_downloads_from_the_raw_message(stored: StoredEmail) -> None:
    client = logged_in(UserFactory(role="viewer"))

    response = client.get(reverse("admin:invoices_storedemail_attachment", args=[stored.pk, 0]))
    missing = client.get(reverse("admin:invoices_storedemail_attachment", args=[stored.pk, 5]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="INV-ADMIN-1.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) == stored.attachments[0]["size"]
    assert missing.status_code == 404


def test_anonymous_users_are_sent_to_the_login_page(stored: StoredEmail) -> None:
    for url in (
        message_url(stored),
        reverse("admin:invoices_storedemail_attachment", args=[stored.pk, 0]),
        reverse("admin:invoices_storedemail_raw", args=[stored.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_permission_are_refused(stored: StoredEmail) -> None:
    response = logged_in(UserFactory()).get(message_url(stored))

    assert response.status_code == 403


def test_the_email_list_links_to_the_stored_message(stored: StoredEmail) -> None:
    admin_user = UserFactory(is_superuser=True)

    response = logged_in(admin_user).get(reverse("admin:invoices_invoiceemail_changelist"))

    assert response.status_code == 200
    assert message_url(stored) in response.content.decode()


def test_the_stored_email_pages_are_read_only(stored: StoredEmail) -> None:
    client = logged_in(UserFactory(is_superuser=True))

    listing = client.get(reverse("admin:invoices_storedemail_changelist"))
    detail = client.get(reverse("admin:invoices_storedemail_change", args=[stored.pk]))
    delete = client.post(reverse("admin:invoices_storedemail_delete", args=[stored.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert delete.status_code == 403
    assert StoredEmail.objects.filter(pk=stored.pk).exists()


def test_the_resend_action_confirms_then_queues_a_new_email() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    failed = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system(), door=Door.ADMIN)
    InvoiceEmail.objects.filter(pk=failed.pk).update(state=EmailState.FAILED, error="SMTPDataError: 554")
    client = logged_in(UserFactory(role="operator"))
    url = reverse("admin:invoices_invoiceemail_changelist")
    data = {"action": "resend", "_selected_action": [failed.pk]}

    confirm = client.post(url, data)
    assert confirm.status_code == 200
    assert "Send these invoice emails again?" in confirm.content.decode()
    assert InvoiceEmail.objects.count() == 1

    done = client.post(url, {**data, "post": "yes"})
    assert done.status_code == 302
    new = InvoiceEmail.objects.exclude(pk=failed.pk).get()
    assert (new.state, new.to, new.door) == (EmailState.QUEUED, failed.to, Door.ADMIN)
    assert new.requested_by.startswith("user")
    assert mail.outbox == []  # queued after commit, not sent inside the request


def test_viewers_cannot_resend() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    failed = invoice_email_request(invoice_id=invoice.pk, actor=Actor.system(), door=Door.ADMIN)
    InvoiceEmail.objects.filter(pk=failed.pk).update(state=EmailState.FAILED)
    client = logged_in(UserFactory(role="viewer"))

    client.post(
        reverse("admin:invoices_invoiceemail_changelist"),
        {"action": "resend", "_selected_action": [failed.pk], "post": "yes"},
    )

    assert InvoiceEmail.objects.count() == 1
