"""Changing an invoice from its page: a status change through its confirmation, a push to the provider (the sandbox
over HTTP) that succeeds, one the provider refuses, and an invoice email opened as the customer receives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from invoices import relay
from invoices.email_tasks import send_invoice_email
from invoices.models import Delivery, DeliveryState, EmailState, Invoice, InvoiceEmail

pytestmark = pytest.mark.browser


def open_invoice(page: Page, invoice: Invoice) -> None:
    page.goto(f"/admin/invoices/invoice/{invoice.pk}/change/")
    expect(page.locator("h1")).to_be_visible()


def success_message(page: Page) -> Any:
    return page.locator("ul.messagelist li.success")


def run_the_relay() -> int:
    """What the worker does every few seconds: send what is due (here, in the test's own process)."""
    return relay.relay(worker="browser-test", budget_seconds=30)


def test_a_status_change_goes_through_its_confirmation_and_lands_in_the_history_and_timeline(
    page: Page, sign_in: Callable[[str], Any], generic_invoice: Callable[..., Invoice], shot: Callable[[str], None]
) -> None:
    # given
    invoice = generic_invoice(number="INV-2026-0301", customer_name="Babbage & Sons")
    sign_in("operator")
    open_invoice(page, invoice)

    # when the operator asks for the change, and confirms it with a reason
    page.get_by_role("link", name="Change status").click()
    expect(page.locator("h1")).to_have_text("Change status")
    expect(page.locator("#selected-invoices")).to_contain_text("INV-2026-0301")
    page.get_by_label("New status").select_option(label="Open (sent)")
    page.get_by_label("Reason").fill("Sent to the customer by post on 21 November")
    shot("confirmation")
    page.get_by_role("button", name="Change status").click()

    # then the invoice page says so, its history and timeline show who did it and why
    expect(success_message(page)).to_contain_text("Invoice INV-2026-0301")
    expect(page.locator(".field-status_badge")).to_contain_text("Open (sent)")
    history = page.locator("#history-group")
    expect(history).to_contain_text("Open (sent)")
    expect(history).to_contain_text("Sent to the customer by post on 21 November")
    timeline = page.locator("#timeline")
    change = timeline.locator(".timeline-status").last
    expect(change).to_contain_text("Draft → Open (sent)")
    expect(change).to_contain_text("by omar · Admin")
    expect(change).to_contain_text("Sent to the customer by post on 21 November")
    # and the change is on its way to the provider
    expect(timeline.locator(".timeline-delivery")).to_contain_text("queued: Push status and fields → Open (sent)")
    page.locator("#timeline").scroll_into_view_if_needed()


def test_a_push_previewed_then_confirmed_reaches_the_sandbox_and_the_exchange_can_be_read(
    page: Page, sign_in: Callable[[str], Any], generic_invoice: Callable[..., Invoice], shot: Callable[[str], None]
) -> None:
    # given an invoice the provider knows
    invoice = generic_invoice(number="INV-2026-0302", customer_name="Lovelace Analytical Ltd")
    sign_in("operator")
    open_invoice(page, invoice)

    # when the operator previews the push
    page.get_by_role("link", name="Push", exact=True).click()

    # then the dry run shows the exact request, the secret masked, and nothing is sent yet
    expect(page.locator(".request-line")).to_contain_text(f"PUT {invoice.account.base_url}/api/v1/Invoice/Update")
    expect(page.locator(".request-headers")).to_contain_text("Authorization: Bearer ***")
    expect(page.locator(".request-body")).to_contain_text(invoice.remote_id)
    assert not Delivery.objects.filter(invoice=invoice).exists()
    shot("dry-run")

    # when confirmed, and the relay sends it
    page.get_by_role("button", name="Yes, push 1 invoice").click()
    expect(success_message(page)).to_contain_text("queued as delivery")
    assert run_the_relay() == 1
    page.reload()

    # then the delivery succeeded, and its exchange with the provider reads in the timeline
    expect(page.locator("#deliveries-group")).to_contain_text("Succeeded")
    attempt = page.locator("#timeline .timeline-attempt")
    expect(attempt).to_contain_text("attempt 1 of")
    expect(attempt.locator(".status-badge")).to_have_text("Succeeded")
    exchange = attempt.locator("details.timeline-exchanges")
    expect(exchange.locator(".response-line")).to_be_hidden()
    exchange.locator("summary").click()
    expect(exchange.locator(".response-line")).to_have_text("HTTP 200")
    expect(exchange.locator(".request-headers")).to_contain_text("Authorization: ***")
    expect(exchange.locator(".response-body")).to_contain_text('"succeeded": true')
    assert invoice.account.get_credentials()["token"] not in page.content()
    assert Delivery.objects.get(invoice=invoice).state == DeliveryState.SUCCEEDED
    exchange.scroll_into_view_if_needed()


def test_a_push_the_provider_refuses_shows_the_providers_own_words(
    page: Page, sign_in: Callable[[str], Any], generic_invoice: Callable[..., Invoice], shot: Callable[[str], None]
) -> None:
    # given an invoice the provider has never heard of
    invoice = generic_invoice(number="INV-2026-0303", customer_name="Hopper Compilers plc", known_to_sandbox=False)
    sign_in("operator")
    open_invoice(page, invoice)

    # when it is pushed and the relay runs
    page.get_by_role("link", name="Push", exact=True).click()
    page.get_by_role("button", name="Yes, push 1 invoice").click()
    expect(success_message(page)).to_contain_text("queued as delivery")
    run_the_relay()
    page.reload()

    # then the invoice page shows the failure in the provider's words
    deliveries = page.locator("#deliveries-group")
    expect(deliveries.locator(".status-badge")).to_have_text("Failed")
    expect(deliveries).to_contain_text("Invoice not found.")
    expect(page.locator("#timeline .timeline-attempt")).to_contain_text("Rejected")
    shot("invoice-page")

    # and the delivery's own page has the whole answer, and offers a retry
    deliveries.get_by_role("link", name=f"#{Delivery.objects.get(invoice=invoice).pk}").click()
    expect(page.locator(".field-provider_message")).to_contain_text("Invoice not found.")
    expect(page.locator(".response-line").first).to_have_text("HTTP 404")
    expect(page.locator(".response-body").first).to_contain_text(f"No invoice with id {invoice.remote_id}")
    expect(page.get_by_role("link", name="Retry")).to_be_visible()


def test_an_invoice_email_is_sent_and_opened_as_the_customer_receives_it(
    page: Page, sign_in: Callable[[str], Any], generic_invoice: Callable[..., Invoice], shot: Callable[[str], None]
) -> None:
    # given
    invoice = generic_invoice(
        number="INV-2026-0304",
        customer_name="Noether Algebra GmbH",
        customer_email="ap@noether.example",
        status="open",
    )
    sign_in("operator")

    # when the operator sends it from the list
    page.goto("/admin/invoices/invoice/")
    page.locator(f"input[name=_selected_action][value='{invoice.pk}']").check()
    page.locator("select[name=action]").select_option(label="Send invoice email…")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#email-recipients")).to_contain_text("ap@noether.example")
    shot("confirmation")
    page.get_by_role("button", name="Yes, send 1 email").click()
    expect(success_message(page)).to_contain_text("queued to ap@noether.example")

    # and the worker sends it, through the embedded backend that keeps messages
    email = InvoiceEmail.objects.get(invoice=invoice)
    with override_settings(EMAIL_BACKEND="invoices.mail_backend.DatabaseEmailBackend"):
        assert send_invoice_email.apply(args=(email.pk,)).get() == EmailState.SENT

    # then the invoice page links to the message, which opens as sent, its PDF attached
    page.goto(f"/admin/invoices/invoice/{invoice.pk}/change/")
    expect(page.locator("#emails-group .status-badge")).to_have_text("Sent")
    expect(page.locator("#timeline .timeline-email")).to_contain_text("to ap@noether.example")
    page.locator("#timeline .timeline-email").get_by_role("link", name="Open the message").click()
    expect(page.locator("#content")).to_contain_text("ap@noether.example")
    expect(page.locator("#content")).to_contain_text("INV-2026-0304")
    expect(page.locator("#content")).to_contain_text(".pdf")
    frame = page.frame_locator("iframe")
    expect(frame.locator("body")).to_contain_text("INV-2026-0304")
