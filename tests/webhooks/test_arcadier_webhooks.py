"""Arcadier's invoice.paid event trigger, sent by the sandbox over HTTP with the trigger's secret header."""

from __future__ import annotations

import time
from typing import Any

import requests

from invoices.models import WebhookState
from providers.jsonnumbers import dumps_compact
from providers.kinds import ProviderKind
from providers.sandbox.webhooks import arcadier_invoice_paid, send_arcadier_invoice_paid
from tests.factories import history_of

from .conftest import SECRET_HEADER, WEBHOOK_SECRET, deliveries_of, events, refreshed


def test_invoice_paid_marks_the_invoice_and_each_of_its_orders_paid(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice(remote_number="ARC-2026-0001")
    paid_at = int(time.time()) - 60
    for order in transaction["Orders"]:
        order["Payment"] = {"Status": "Success", "DateTimePaid": paid_at, "GatewayTransactionID": "txn_0001"}

    response = send_arcadier_invoice_paid(
        hook_url(invoice.account), SECRET_HEADER, WEBHOOK_SECRET, transaction, event_id="evt-0001"
    )

    assert response.status_code == 200
    invoice = refreshed(invoice)
    assert invoice.status == "paid"
    assert int(invoice.paid_at.timestamp()) == paid_at
    assert history_of(invoice) == [("", "draft"), ("open", "paid")]
    orders = list(invoice.orders.order_by("id"))
    assert [o.payment_status for o in orders] == ["Paid", "Paid"]
    assert [str(o.amount) for o in orders] == ["10.0000", "10.0000"]
    assert orders[0].gateway["TransactionID"] == "txn_0001"
    assert orders[0].gateway["Code"] == "stripe"
    assert int(orders[0].paid_at.timestamp()) == paid_at
    assert deliveries_of(invoice) == 0
    [event] = events()
    assert (event.event_id, event.event_type, event.state) == ("evt-0001", "invoice.paid", WebhookState.PROCESSED)


def test_an_invoice_the_provider_knows_by_our_number_is_found_by_it(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice(number="INV-ARC-77")

    send_arcadier_invoice_paid(hook_url(invoice.account), SECRET_HEADER, WEBHOOK_SECRET, transaction)

    assert refreshed(invoice).status == "paid"


def test_orders_still_waiting_keep_the_invoice_open_and_record_their_state(
    arcadier_invoice: Any, hook_url: Any
) -> None:
    invoice, transaction = arcadier_invoice(paid_as="Waiting For Payment")

    send_arcadier_invoice_paid(hook_url(invoice.account), SECRET_HEADER, WEBHOOK_SECRET, transaction)

    invoice = refreshed(invoice)
    assert invoice.status == "open"
    assert {o.payment_status for o in invoice.orders.all()} == {"Waiting for Payment"}
    [event] = events()
    assert event.state == WebhookState.PROCESSED


def test_a_wrong_secret_is_refused_with_401_and_changes_nothing(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice()

    response = send_arcadier_invoice_paid(
        hook_url(invoice.account), SECRET_HEADER, "whsec-guessed", transaction, event_id="evt-forged"
    )

    assert response.status_code == 401
    invoice = refreshed(invoice)
    assert invoice.status == "open"
    assert {o.payment_status for o in invoice.orders.all()} == {"Pending"}
    [event] = events()
    assert (event.state, event.valid, event.event_id) == (WebhookState.INVALID, False, "evt-forged")
    assert event.headers["x-webhook-secret"] == "***"
    assert "whsec-guessed" not in str(event.headers)


def test_a_delivery_without_the_secret_header_is_refused(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice()
    body = dumps_compact(arcadier_invoice_paid(transaction))

    response = requests.post(hook_url(invoice.account), data=body, timeout=10)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The x-webhook-secret header is missing."
    assert refreshed(invoice).status == "open"


def test_an_account_without_a_webhook_secret_refuses_every_delivery(
    sandbox_account: Any, arcadier_invoice: Any, hook_url: Any
) -> None:
    invoice, transaction = arcadier_invoice()
    invoice.account.set_credentials({"webhook_secret": None}, keep_blank=False)
    invoice.account.save()

    response = send_arcadier_invoice_paid(hook_url(invoice.account), SECRET_HEADER, "", transaction)

    assert response.status_code == 401
    assert "no webhook secret" in response.json()["error"]["message"]
    assert refreshed(invoice).status == "open"


def test_the_secret_header_is_the_one_named_on_the_account(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice(settings={"webhook_header": "X-Arcadier-Trigger-Token"})
    url = hook_url(invoice.account)

    in_the_default_header = send_arcadier_invoice_paid(url, SECRET_HEADER, WEBHOOK_SECRET, transaction)
    in_the_named_header = send_arcadier_invoice_paid(url, "X-Arcadier-Trigger-Token", WEBHOOK_SECRET, transaction)

    assert (in_the_default_header.status_code, in_the_named_header.status_code) == (401, 200)
    assert refreshed(invoice).status == "paid"
    for event in events():
        assert WEBHOOK_SECRET not in str(event.headers)
        assert event.headers.get("x-arcadier-trigger-token", "***") == "***"


def test_an_invoice_paid_for_another_account_leaves_ours_alone(
    arcadier_invoice: Any, secret_account: Any, hook_url: Any
) -> None:
    invoice, transaction = arcadier_invoice()
    other = secret_account(ProviderKind.ARCADIER)

    send_arcadier_invoice_paid(hook_url(other), SECRET_HEADER, WEBHOOK_SECRET, transaction)

    assert refreshed(invoice).status == "open"
    [event] = events()
    assert event.state == WebhookState.SKIPPED
    assert f"No invoice with number {invoice.number}" in event.outcome
