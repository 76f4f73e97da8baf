"""Pausing and resuming deliveries to a provider account from the admin."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices import relay
from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.models import Delivery, DeliveryState
from providers.models import ProviderAccount
from providers.sandbox.generic import seed_invoice
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

CHANGELIST = reverse("admin:providers_provideraccount_changelist")


def logged_in(role: str = "operator") -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def run(client: Client, action: str, accounts: list[ProviderAccount]) -> Any:
    return client.post(CHANGELIST, {"action": action, "_selected_action": [a.pk for a in accounts], "index": "0"})


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def queued_delivery(account: ProviderAccount, *, seeded: bool = False) -> Delivery:
    """A push of a new invoice of this (generic) account, waiting in the outbox."""
    remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
    if seeded:
        seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
    invoice = make_invoice(
        account=account,
        currency="USD",
        remote_id=remote_id,
        customer_ref=customer,
        receiving_account_ref=receiver,
        lines=[
            {"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("1"), "unit_price": Decimal("5")}
        ],
    )
    return invoice_push(invoice_id=invoice.pk, actor=Actor.system("test"))


def paused(account: ProviderAccount) -> bool:
    return ProviderAccount.objects.values_list("paused", flat=True).get(pk=account.pk)


def test_a_paused_accounts_deliveries_are_not_claimed_by_the_relay_and_resumed_ones_are(sandbox_account: Any) -> None:
    # given a delivery waiting for a sandbox account
    client = logged_in()
    account = sandbox_account("generic", name="gen-live")
    delivery = queued_delivery(account, seeded=True)

    # when an operator pauses the account, the relay leaves its delivery queued
    paused_response = run(client, "pause_deliveries", [account])
    assert messages_of(paused_response) == [
        ("success", "gen-live: paused; 1 queued delivery will wait until it is resumed.")
    ]
    assert relay.relay(worker="t", budget_seconds=30) == 0
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    client.get(CHANGELIST)  # back on the list, where the message is shown (and used up)

    # when the account is resumed, the relay delivers it
    resumed_response = run(client, "resume_deliveries", [account])
    assert messages_of(resumed_response) == [("success", "gen-live: resumed; 1 queued delivery will go out now.")]
    assert relay.relay(worker="t", budget_seconds=30) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED


@pytest.mark.django_db
def test_each_account_gets_its_own_message_and_an_already_paused_one_is_left_alone() -> None:
    client = logged_in()
    running = ProviderAccountFactory(kind="generic", name="a-running")
    already = ProviderAccountFactory(kind="generic", name="b-already", paused=True)
    for _ in range(3):
        queued_delivery(running)

    response = run(client, "pause_deliveries", [running, already])

    assert messages_of(response) == [
        ("success", "a-running: paused; 3 queued deliveries will wait until it is resumed."),
        ("info", "b-already was already paused: nothing changed."),
    ]
    assert paused(running)
    assert paused(already)


@pytest.mark.django_db
def test_resuming_a_disabled_account_warns_that_its_deliveries_still_wait() -> None:
    client = logged_in()
    account = ProviderAccountFactory(kind="generic", name="off", paused=True, enabled=False)
    queued_delivery(account)

    response = run(client, "resume_deliveries", [account])

    assert messages_of(response) == [
        ("warning", "off: resumed, but the account is disabled: 1 queued delivery will wait until it is enabled.")
    ]
    assert not paused(account)


@pytest.mark.django_db
def test_the_list_shows_paused_and_the_queued_deliveries_of_each_account_in_one_query() -> None:
    # given accounts with deliveries in several states
    client = logged_in()
    busy = ProviderAccountFactory(kind="generic", name="busy", paused=True)
    for _ in range(2):
        queued_delivery(busy)
    done = queued_delivery(busy)
    Delivery.objects.filter(pk=done.pk).update(state=DeliveryState.SUCCEEDED)
    idle = ProviderAccountFactory(kind="generic", name="idle")

    # when
    with CaptureQueriesContext(connection) as few:
        response = client.get(CHANGELIST)
    for index in range(5):
        queued_delivery(ProviderAccountFactory(kind="generic", name=f"more-{index}"))
    with CaptureQueriesContext(connection) as many:
        client.get(CHANGELIST)

    # then only the waiting deliveries count, and the rows cost no query each
    rows = {account.pk: account for account in response.context["cl"].result_list}
    assert (rows[busy.pk].paused, rows[busy.pk].queued_count) == (True, 2)
    assert (rows[idle.pk].paused, rows[idle.pk].queued_count) == (False, 0)
    assert "Queued deliveries" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "administrator"])
def test_operators_and_administrators_may_pause_and_resume(role: str) -> None:
    client = logged_in(role)
    account = ProviderAccountFactory(kind="generic")

    names = action_names(client.get(CHANGELIST))
    run(client, "pause_deliveries", [account])

    assert {"pause_deliveries", "resume_deliveries"} <= set(names)
    assert paused(account)


@pytest.mark.django_db
def test_a_viewer_gets_no_pause_action_and_is_refused_it() -> None:
    client = logged_in("viewer")
    account = ProviderAccountFactory(kind="generic")

    names = action_names(client.get(CHANGELIST))
    response = run(client, "pause_deliveries", [account])

    assert "pause_deliveries" not in names
    assert response.status_code == 403
    assert not paused(account)


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page() -> None:
    account = ProviderAccountFactory(kind="generic")

    response = run(Client(), "pause_deliveries", [account])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not paused(account)
