"""Pushing invoices to their provider from the admin: the dry-run page, then one queued delivery per invoice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from invoices import relay
from invoices.admin.display import pretty_body
from invoices.deliveries import invoice_push_preview
from invoices.models import Delivery, DeliveryState, Invoice
from providers.models import ProviderAccount
from providers.sandbox.generic import seed_invoice
from providers.sandbox.models import SandboxRequest
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

CHANGELIST = reverse("admin:invoices_invoice_changelist")
CONFIRM_TEMPLATE = "admin/invoices/invoice/confirm_push.html"


def logged_in(role: str = "operator") -> tuple[Client, Any]:
    user = UserFactory(role=role)
    client = Client()
    client.force_login(user)
    return client, user


def generic_lines() -> list[dict[str, Any]]:
    # The generic API identifies products by uuid.
    return [{"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10")}]


def generic_invoice(account: ProviderAccount, *, known_to_sandbox: bool = True, **fields: Any) -> Invoice:
    remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
    if known_to_sandbox:
        seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
    return make_invoice(
        account=account,
        currency="USD",
        remote_id=remote_id,
        customer_ref=customer,
        receiving_account_ref=receiver,
        lines=generic_lines(),
        **fields,
    )


def ask(client: Client, invoices: list[Invoice]) -> Any:
    """The first step: pick the action on the changelist, which answers with the dry-run page."""
    data = {"action": "push_to_provider", "_selected_action": [i.pk for i in invoices], "index": "0"}
    return client.post(CHANGELIST, data)


def confirm(client: Client, invoices: list[Invoice]) -> Any:
    data = {"action": "push_to_provider", "_selected_action": [i.pk for i in invoices], "post": "yes"}
    return client.post(CHANGELIST, data)


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def push_url(invoice: Invoice) -> str:
    return reverse("admin:invoices_invoice_push", args=[invoice.pk])


# --- against the sandbox -------------------------------------------------------------------------------------
def test_the_dry_run_shows_the_exact_request_with_the_token_masked_and_sends_nothing(sandbox_account: Any) -> None:
    # given
    client, _ = logged_in()
    account = sandbox_account("generic")
    invoice = generic_invoice(account)
    token = account.get_credentials()["token"]

    # when
    response = ask(client, [invoice])

    # then the page shows the request the push would send, as the adapter builds it
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == CONFIRM_TEMPLATE
    html = response.content.decode()
    [expected] = invoice_push_preview(invoice_id=invoice.pk)
    assert f"PUT {account.base_url}/api/v1/Invoice/Update" in html
    assert "Authorization: Bearer ***" in html
    assert "Content-Type: application/json" in html
    assert escape(pretty_body(expected.body)) in html
    assert f"&quot;{invoice.remote_id}&quot;" in html
    assert '\n  "' in pretty_body(expected.body)  # indented for reading, not the compact wire form
    # and no secret, and nothing sent, queued or recorded
    assert token not in html
    assert account.get_credentials()["api_key"] not in html
    assert not SandboxRequest.objects.exists()  # the sandbox's log of received requests stays empty
    assert not Delivery.objects.filter(invoice=invoice).exists()
    assert "Yes, push 1 invoice" in html


def test_confirming_queues_a_delivery_that_the_relay_delivers_and_its_page_shows_the_exchange(
    sandbox_account: Any,
) -> None:
    # given
    client, user = logged_in()
    account = sandbox_account("generic")
    invoice = generic_invoice(account)

    # when the push is confirmed
    response = confirm(client, [invoice])

    # then one delivery is queued, in the operator's name
    assert response.status_code == 302
    delivery = Delivery.objects.get(invoice=invoice)
    assert (delivery.state, delivery.operation, delivery.to_status) == (DeliveryState.PENDING, "push", "draft")
    assert delivery.requested_by == user.username
    assert messages_of(response) == [("success", f"Invoice {invoice.number}: queued as delivery #{delivery.pk}.")]

    # when the relay runs
    assert relay.relay(worker="t", budget_seconds=30) == 1

    # then the delivery page shows it succeeded, with the exchange redacted and readable
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    page = client.get(reverse("admin:invoices_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "delivery-succeeded" in html
    assert f"PUT {account.base_url}/api/v1/Invoice/Update" in html
    assert "HTTP 200" in html
    assert "Authorization: ***" in html
    assert "&quot;succeeded&quot;: true" in html
    assert account.get_credentials()["token"] not in html


def test_the_push_button_of_the_invoice_page_leads_to_the_same_dry_run_for_that_invoice(
    sandbox_account: Any,
) -> None:
    client, _ = logged_in()
    account = sandbox_account("generic")
    invoice = generic_invoice(account)
    requests_before = SandboxRequest.objects.count()

    change_page = client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk]))
    preview = client.get(push_url(invoice))

    assert push_url(invoice) in change_page.content.decode()
    assert preview.status_code == 200
    assert next(t.name for t in preview.templates) == CONFIRM_TEMPLATE
    assert [row.invoice.pk for row in preview.context["rows"]] == [invoice.pk]
    assert "Authorization: Bearer ***" in preview.content.decode()
    assert SandboxRequest.objects.count() == requests_before

    pushed = client.post(push_url(invoice))

    assert pushed.status_code == 302
    assert pushed["Location"] == reverse("admin:invoices_invoice_change", args=[invoice.pk])
    delivery = Delivery.objects.get(invoice=invoice)
    assert messages_of(pushed) == [("success", f"Invoice {invoice.number}: queued as delivery #{delivery.pk}.")]


# --- refusals, per row ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_invoice_that_cannot_be_previewed_shows_why_and_is_not_queued_while_the_others_are() -> None:
    # given one invoice that can go, one whose account is disabled, one whose setup the adapter refuses
    client, _ = logged_in()
    good = generic_invoice(ProviderAccountFactory(kind="generic"), known_to_sandbox=False)
    disabled_account = ProviderAccountFactory(kind="generic", enabled=False, name="switched-off")
    disabled = generic_invoice(disabled_account, known_to_sandbox=False)
    misconfigured_account = ProviderAccountFactory(
        kind="generic", settings={"auth_scheme": "api_key"}, credentials={"token": "gen-token-only-0001"}
    )
    misconfigured = generic_invoice(misconfigured_account, known_to_sandbox=False)
    selection = [good, disabled, misconfigured]

    # when the dry run is asked for
    page = ask(client, selection)

    # then each refused row says why, and the others show their request
    html = page.content.decode()
    rows = {row.invoice.pk: row for row in page.context["rows"]}
    assert rows[good.pk].refusal == ""
    assert rows[good.pk].requests
    assert rows[disabled.pk].refusal == "The provider account switched-off is disabled: enable it first."
    assert "needs the account&#x27;s api_key credential" in html
    assert not rows[misconfigured.pk].requests
    assert "Yes, push 1 invoice" in html
    assert "1 of these 3 invoices can be pushed" in html

    # when confirmed
    response = confirm(client, selection)

    # then only the invoice that could go is queued, and every row is reported
    assert list(Delivery.objects.values_list("invoice_id", flat=True)) == [good.pk]
    delivery = Delivery.objects.get()
    messages = messages_of(response)
    assert ("success", f"Invoice {good.number}: queued as delivery #{delivery.pk}.") in messages
    assert (
        "error",
        f"Invoice {disabled.number}: not pushed: The provider account switched-off is disabled: enable it first.",
    ) in messages
    [(level, refused)] = [m for m in messages if misconfigured.number in m[1]]
    assert level == "error"
    assert refused.startswith(f"Invoice {misconfigured.number}: not pushed: the api_key auth scheme needs")
    assert messages[-1] == ("info", "1 of 3 invoices queued for their provider; 2 refused.")


@pytest.mark.django_db
def test_when_nothing_can_be_pushed_the_page_offers_no_confirmation() -> None:
    client, _ = logged_in()
    invoice = generic_invoice(ProviderAccountFactory(kind="generic", enabled=False), known_to_sandbox=False)

    html = client.get(push_url(invoice)).content.decode()

    assert "Cannot be pushed" in html
    assert "Yes, push" not in html
    assert "None of this invoice can be pushed as things stand." in html


# --- who may push ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_viewer_gets_no_push_action_and_is_refused_the_action_and_the_page() -> None:
    client, _ = logged_in("viewer")
    invoice = generic_invoice(ProviderAccountFactory(kind="generic"), known_to_sandbox=False)

    listing = client.get(CHANGELIST)
    change_page = client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk]))
    asked = ask(client, [invoice])
    confirmed = confirm(client, [invoice])
    page = client.get(push_url(invoice))
    posted = client.post(push_url(invoice))

    assert "push_to_provider" not in action_names(listing)
    assert push_url(invoice) not in change_page.content.decode()
    assert (asked.status_code, confirmed.status_code, page.status_code, posted.status_code) == (403, 403, 403, 403)
    assert not Delivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "administrator"])
def test_operators_and_administrators_have_the_push_action(role: str) -> None:
    client, _ = logged_in(role)
    generic_invoice(ProviderAccountFactory(kind="generic"), known_to_sandbox=False)

    assert "push_to_provider" in action_names(client.get(CHANGELIST))


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page() -> None:
    invoice = generic_invoice(ProviderAccountFactory(kind="generic"), known_to_sandbox=False)

    for response in (Client().get(push_url(invoice)), Client().post(push_url(invoice))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert not Delivery.objects.exists()
