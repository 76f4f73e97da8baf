"""Pushing an invoice, following its deliveries and their attempts (secrets masked), retrying a failed one, and
asking for an invoice email: each a service call, door "api"."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from invoices.models import Delivery, DeliveryAttempt, DeliveryState, Door, InvoiceEmail
from tests.factories import make_invoice

from .helpers import error_of, generic_invoice, url


def test_pushing_queues_a_delivery_that_the_invoice_lists(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)

    response = api.post(url("invoices", invoice.pk, "push"))

    assert response.status_code == 202, response.json()
    pushed = response.json()
    assert (pushed["invoice"], pushed["operation"], pushed["state"], pushed["requested_by"]) == (
        invoice.pk,
        "push",
        "pending",
        "api:erp-operator",
    )
    listed = api.get(url("invoices", invoice.pk, "deliveries")).json()
    assert [d["id"] for d in listed["results"]] == [pushed["id"]]
    assert api.get(url("invoices", invoice.pk)).json()["sync_state"] == "pending"


def test_a_delivery_shows_its_attempts_with_secrets_masked(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)
    delivery = Delivery.objects.get(pk=api.post(url("invoices", invoice.pk, "push")).json()["id"])
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=timezone.now(),
        outcome="temporary",
        message="503 from the provider",
        exchanges=[
            {
                "method": "PUT",
                "url": "https://api.example.com/invoices/1?api_key=leaked",
                "request_headers": {"Authorization": "Bearer leaked-token", "Accept": "application/json"},
                "request_body": '{"amount": 20.00, "client_secret": "leaked"}',
                "status_code": 503,
                "response_headers": {"Set-Cookie": "session=leaked"},
                "response_body": "down",
                "duration_ms": 12.5,
                "error": "",
            }
        ],
    )

    response = api.get(url("deliveries", delivery.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["attempt_count"] == 0
    (attempt,) = body["attempts"]
    assert (attempt["number"], attempt["outcome"], attempt["message"]) == (1, "temporary", "503 from the provider")
    (exchange,) = attempt["exchanges"]
    assert "leaked" not in str(exchange)
    assert exchange["request_headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert exchange["request_body"] == '{"amount":20.00,"client_secret":"***"}'
    assert (exchange["status_code"], exchange["duration_ms"]) == (503, 12.5)


def test_a_failed_delivery_can_be_retried_and_a_pending_one_cannot(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)
    delivery_id = api.post(url("invoices", invoice.pk, "push")).json()["id"]

    refused = api.post(url("deliveries", delivery_id, "retry"))
    assert refused.status_code == 409
    assert "is already queued" in error_of(refused)["message"]

    Delivery.objects.filter(pk=delivery_id).update(state=DeliveryState.FAILED, attempts=3)  # a fixture shortcut
    response = api.post(url("deliveries", delivery_id, "retry"))

    assert response.status_code == 202
    assert (response.json()["state"], response.json()["max_attempts"]) == ("pending", 13)
    assert Delivery.objects.get(pk=delivery_id).requested_by == "api:erp-operator"


def test_asking_for_an_email_queues_one_to_the_customer(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a, customer_email="ada@example.com")

    response = api.post(url("invoices", invoice.pk, "emails"), {}, format="json")

    assert response.status_code == 202, response.json()
    email = InvoiceEmail.objects.get(pk=response.json()["id"])
    assert (email.to, email.state, email.door, email.requested_by) == (
        "ada@example.com",
        "queued",
        Door.API,
        "api:erp-operator",
    )


def test_an_email_may_go_to_other_recipients(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.post(
        url("invoices", invoice.pk, "emails"), {"to": ["ap@example.com", "cfo@example.com"]}, format="json"
    )

    assert response.status_code == 202
    assert response.json()["to"] == "ap@example.com, cfo@example.com"


def test_an_email_without_any_recipient_is_a_400(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a, customer_email="")

    assert (
        "no customer email" in error_of(api.post(url("invoices", invoice.pk, "emails"), {}, format="json"))["message"]
    )
    assert (
        "to.0" in error_of(api.post(url("invoices", invoice.pk, "emails"), {"to": ["nope"]}, format="json"))["fields"]
    )
    assert not InvoiceEmail.objects.exists()
