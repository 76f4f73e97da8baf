"""The deliveries admin: what was carried to each provider, what the provider said, and retrying or cancelling."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator

from invoices import relay
from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.models import AttemptOutcome, Delivery, DeliveryState, Invoice, SyncState
from providers.models import ProviderAccount
from providers.sandbox.generic import seed_invoice
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

CHANGELIST = reverse("admin:invoices_delivery_changelist")
INVOICES = reverse("admin:invoices_invoice_changelist")
CONFIRM_TEMPLATE = "admin/invoices/delivery/confirm_action.html"


def logged_in(role: str = "operator", **user_fields: Any) -> tuple[Client, Any]:
    user = UserFactory(role=role, **user_fields)
    client = Client()
    client.force_login(user)
    return client, user


def generic_invoice(account: ProviderAccount | None = None, **fields: Any) -> Invoice:
    """An invoice of a generic account with the ids the API requires; the sandbox knows it only if seeded."""
    return make_invoice(
        account=account or ProviderAccountFactory(kind="generic"),
        currency="USD",
        remote_id=str(uuid.uuid4()),
        customer_ref=str(uuid.uuid4()),
        receiving_account_ref=str(uuid.uuid4()),
        lines=[
            {"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10")}
        ],
        **fields,
    )


def seed(invoice: Invoice) -> None:
    seed_invoice(
        invoice.remote_id, counter_party_id=invoice.customer_ref, receiving_account_id=invoice.receiving_account_ref
    )


def queued(invoice: Invoice, state: str = DeliveryState.PENDING, **fields: Any) -> Delivery:
    """A delivery queued through the service, then put in `state` directly: a fixture shortcut."""
    delivery = invoice_push(invoice_id=invoice.pk, actor=Actor.system("test"))
    Delivery.objects.filter(pk=delivery.pk).update(state=state, **fields)
    delivery.refresh_from_db()
    return delivery


def run_relay() -> int:
    return relay.relay(worker="t", budget_seconds=30)


def ask(client: Client, action: str, deliveries: list[Delivery]) -> Any:
    data = {"action": action, "_selected_action": [d.pk for d in deliveries], "index": "0"}
    return client.post(CHANGELIST, data)


def confirm(client: Client, action: str, deliveries: list[Delivery]) -> Any:
    data = {"action": action, "_selected_action": [d.pk for d in deliveries], "post": "yes"}
    return client.post(CHANGELIST, data)


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def page_of(delivery: Delivery) -> str:
    return reverse("admin:invoices_delivery_change", args=[delivery.pk])


def listed(response: Any) -> list[int]:
    return [d.pk for d in response.context["cl"].result_list]


# --- against the sandbox -------------------------------------------------------------------------------------
@pytest.fixture
def rejected(sandbox_account: Any) -> tuple[Client, Delivery]:
    """An operator pushed an invoice the provider does not know; the relay ran; the provider said 404."""
    client, _ = logged_in()
    invoice = generic_invoice(sandbox_account("generic"))
    client.post(INVOICES, {"action": "push_to_provider", "_selected_action": [invoice.pk], "post": "yes"})
    delivery = Delivery.objects.get(invoice=invoice)
    run_relay()
    delivery.refresh_from_db()
    return client, delivery


def test_a_rejected_delivery_is_not_retried_and_its_provider_message_is_visible_in_the_admin(
    rejected: tuple[Client, Delivery],
) -> None:
    client, delivery = rejected

    # the provider refused it: stopped, with the provider's own words
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error_kind == "rejected"
    assert delivery.provider_message
    assert Invoice.objects.get(pk=delivery.invoice_id).sync_state == SyncState.FAILED

    # a later relay pass, even once it would be due, makes no new attempt
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert run_relay() == 0
    assert delivery.attempt_log.count() == 1
    assert delivery.attempt_log.get().outcome == AttemptOutcome.REJECTED

    # the list, the delivery's page and the invoice's page show what the provider said
    listing = client.get(CHANGELIST).content.decode()
    assert escape(Truncator(delivery.provider_message).chars(80)) in listing
    assert "delivery-failed" in listing
    page = client.get(page_of(delivery)).content.decode()
    assert escape(delivery.provider_message) in page
    assert "HTTP 404" in page
    assert "Authorization: ***" in page
    invoice_page = client.get(reverse("admin:invoices_invoice_change", args=[delivery.invoice_id])).content.decode()
    assert escape(delivery.provider_message) in invoice_page
    assert page_of(delivery) in invoice_page


def test_retrying_a_failed_delivery_puts_it_back_in_line_and_the_relay_delivers_it(
    rejected: tuple[Client, Delivery],
) -> None:
    # given the provider now knows the invoice
    client, delivery = rejected
    seed(delivery.invoice)
    key = delivery.idempotency_key

    # when an operator retries it
    page = ask(client, "retry", [delivery])
    response = confirm(client, "retry", [delivery])

    # then it is queued again, and the relay delivers it with the same idempotency key
    assert next(t.name for t in page.templates) == CONFIRM_TEMPLATE
    assert "Yes, retry 1 delivery" in page.content.decode()
    assert messages_of(response) == [("success", f"Delivery #{delivery.pk} queued again.")]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert run_relay() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.idempotency_key) == (DeliveryState.SUCCEEDED, 2, key)
    assert Invoice.objects.get(pk=delivery.invoice_id).sync_state == SyncState.SYNCED
    assert [a.outcome for a in delivery.attempt_log.all()] == [AttemptOutcome.REJECTED, AttemptOutcome.SUCCEEDED]


# --- retry and cancel ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retrying_a_succeeded_delivery_reports_that_there_is_nothing_to_retry() -> None:
    client, _ = logged_in()
    done = queued(generic_invoice(), DeliveryState.SUCCEEDED)

    page = ask(client, "retry", [done])
    response = confirm(client, "retry", [done])

    assert f"Left as it is: Delivery #{done.pk} succeeded: nothing to retry." in page.content.decode()
    assert "Yes, retry" not in page.content.decode()
    assert messages_of(response) == [("error", f"Delivery #{done.pk} succeeded: nothing to retry.")]
    done.refresh_from_db()
    assert done.state == DeliveryState.SUCCEEDED


@pytest.mark.django_db
def test_a_mixed_retry_reports_each_delivery_and_a_summary() -> None:
    client, user = logged_in()
    failed = queued(generic_invoice(), DeliveryState.FAILED, attempts=1, max_attempts=1)
    dead = queued(generic_invoice(), DeliveryState.DEAD, attempts=10, max_attempts=10)
    done = queued(generic_invoice(), DeliveryState.SUCCEEDED)

    response = confirm(client, "retry", [failed, dead, done])

    assert messages_of(response) == [
        ("success", f"Delivery #{failed.pk} queued again."),
        ("success", f"Delivery #{dead.pk} queued again."),
        ("error", f"Delivery #{done.pk} succeeded: nothing to retry."),
        ("info", "2 of 3 deliveries queued again; 1 left as they were."),
    ]
    dead.refresh_from_db()
    assert dead.state == DeliveryState.PENDING
    assert dead.max_attempts > dead.attempts  # a fresh allowance, or it would go dead again at once
    assert dead.requested_by == user.username


@pytest.mark.django_db
def test_cancelling_sets_a_waiting_delivery_aside_and_refuses_a_succeeded_one() -> None:
    client, _ = logged_in()
    waiting = queued(generic_invoice())
    done = queued(generic_invoice(), DeliveryState.SUCCEEDED)

    page = ask(client, "cancel", [waiting, done])
    response = confirm(client, "cancel", [waiting, done])

    assert "Yes, cancel 1 delivery" in page.content.decode()
    assert messages_of(response) == [
        ("success", f"Delivery #{waiting.pk} cancelled."),
        ("error", f"Delivery #{done.pk} succeeded: it cannot be cancelled."),
        ("info", "1 of 2 deliveries cancelled; 1 left as they were."),
    ]
    waiting.refresh_from_db()
    assert waiting.state == DeliveryState.CANCELLED
    assert Invoice.objects.get(pk=waiting.invoice_id).sync_state == SyncState.SYNCED


@pytest.mark.django_db
def test_the_delivery_page_offers_retry_for_a_failed_delivery_and_it_works_from_there() -> None:
    client, _ = logged_in()
    failed = queued(generic_invoice(), DeliveryState.FAILED, attempts=1, max_attempts=1)
    retry_url = reverse("admin:invoices_delivery_retry", args=[failed.pk])
    cancel_url = reverse("admin:invoices_delivery_cancel", args=[failed.pk])

    html = client.get(page_of(failed)).content.decode()
    confirmation = client.get(retry_url)
    response = client.post(retry_url)

    assert retry_url in html
    assert cancel_url in html
    assert next(t.name for t in confirmation.templates) == CONFIRM_TEMPLATE
    assert confirmation.context["title"] == f"Retry delivery #{failed.pk}"
    assert response.status_code == 302
    assert response["Location"] == page_of(failed)
    assert messages_of(response) == [("success", f"Delivery #{failed.pk} queued again.")]
    failed.refresh_from_db()
    assert failed.state == DeliveryState.PENDING
    # now queued: no retry button, cancel still offered
    html = client.get(page_of(failed)).content.decode()
    assert retry_url not in html
    assert cancel_url in html


# --- the list ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_needs_attention_filter_lists_failed_and_dead_deliveries_only() -> None:
    client, _ = logged_in()
    failed = queued(generic_invoice(), DeliveryState.FAILED)
    dead = queued(generic_invoice(), DeliveryState.DEAD)
    queued(generic_invoice())
    queued(generic_invoice(), DeliveryState.SUCCEEDED)

    everything = client.get(CHANGELIST)
    attention = client.get(CHANGELIST, {"attention": "needed"})

    assert len(listed(everything)) == 4
    assert "2 deliveries need attention" in everything.content.decode()
    assert 'href="?attention=needed"' in everything.content.decode()
    assert sorted(listed(attention)) == sorted([failed.pk, dead.pk])


@pytest.mark.django_db
def test_the_list_columns_filters_and_search() -> None:
    client, _ = logged_in()
    invoice = generic_invoice(number="INV-SEARCH-1")
    mine = queued(
        invoice,
        DeliveryState.FAILED,
        attempts=3,
        last_error_kind="rejected",
        provider_message="Invoice not found: " + "x" * 200,
    )
    other = queued(generic_invoice())

    by_number = client.get(CHANGELIST, {"q": "INV-SEARCH-1"})
    by_key = client.get(CHANGELIST, {"q": other.idempotency_key})
    by_state = client.get(CHANGELIST, {"state__exact": "failed"})
    by_kind = client.get(CHANGELIST, {"last_error_kind": "rejected"})
    by_account = client.get(CHANGELIST, {"account__id__exact": other.account_id})

    assert listed(by_number) == [mine.pk]
    assert listed(by_key) == [other.pk]
    assert listed(by_state) == [mine.pk]
    assert listed(by_kind) == [mine.pk]
    assert listed(by_account) == [other.pk]
    html = by_number.content.decode()
    assert f"3/{mine.max_attempts}" in html
    assert "Invoice not found: xxx" in html
    assert "x" * 100 not in html  # the provider message is truncated in the list
    assert reverse("admin:invoices_invoice_change", args=[invoice.pk]) in html


@pytest.mark.django_db
def test_the_list_takes_the_same_number_of_queries_for_one_delivery_or_many() -> None:
    client, _ = logged_in()
    queued(generic_invoice())
    with CaptureQueriesContext(connection) as one:
        client.get(CHANGELIST)
    for _ in range(5):
        queued(generic_invoice())
    with CaptureQueriesContext(connection) as six:
        client.get(CHANGELIST)

    assert len(six.captured_queries) == len(one.captured_queries)


# --- who may do what -----------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("role", ["administrator", "superuser"])
def test_nobody_adds_changes_or_deletes_a_delivery(role: str) -> None:
    client, _ = logged_in(None if role == "superuser" else role, is_superuser=role == "superuser")
    delivery = queued(generic_invoice())

    page = client.get(page_of(delivery))
    add = client.get(reverse("admin:invoices_delivery_add"))
    edit = client.post(page_of(delivery), {"state": "succeeded"})
    delete = client.post(reverse("admin:invoices_delivery_delete", args=[delivery.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert (add.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


@pytest.mark.django_db
def test_a_viewer_sees_deliveries_but_gets_no_actions_and_is_refused_them() -> None:
    client, _ = logged_in("viewer")
    failed = queued(generic_invoice(), DeliveryState.FAILED)
    retry_url = reverse("admin:invoices_delivery_retry", args=[failed.pk])
    cancel_url = reverse("admin:invoices_delivery_cancel", args=[failed.pk])

    listing = client.get(CHANGELIST)
    page = client.get(page_of(failed))
    refused = [
        ask(client, "retry", [failed]),
        confirm(client, "retry", [failed]),
        confirm(client, "cancel", [failed]),
        client.get(retry_url),
        client.post(retry_url),
        client.post(cancel_url),
    ]

    assert listing.status_code == 200
    assert listed(listing) == [failed.pk]
    assert action_names(listing) == []
    assert page.status_code == 200
    assert retry_url not in page.content.decode()
    assert [r.status_code for r in refused] == [403] * 6
    failed.refresh_from_db()
    assert failed.state == DeliveryState.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "administrator"])
def test_operators_and_administrators_may_retry_and_cancel(role: str) -> None:
    client, _ = logged_in(role)
    queued(generic_invoice())

    assert set(action_names(client.get(CHANGELIST))) >= {"retry", "cancel"}


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page() -> None:
    delivery = queued(generic_invoice(), DeliveryState.FAILED)

    for url in (CHANGELIST, page_of(delivery), reverse("admin:invoices_delivery_retry", args=[delivery.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    Client().post(reverse("admin:invoices_delivery_retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
