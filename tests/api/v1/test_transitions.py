"""Status changes through the API: the lifecycle table decides, the history records them, door "api", the
client as actor; a refused move is a 409 naming both statuses and leaves everything as it was."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from invoices.models import ActorType, Delivery, Door, StatusChange
from tests.factories import history_of, make_invoice

from .helpers import error_of, generic_invoice, url


def test_an_allowed_transition_changes_the_status_and_is_recorded(
    api: APIClient, account_a: Any, operator: Any
) -> None:
    invoice = generic_invoice(account_a)

    response = api.post(
        url("invoices", invoice.pk, "transitions"), {"to_status": "open", "reason": "sent by the ERP"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["version"], response["ETag"]) == ("open", 2, '"2"')
    assert body["allowed_transitions"] == ["paid", "uncollectible", "void"]
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.reason, change.door) == (
        "draft",
        "open",
        "sent by the ERP",
        Door.API,
    )
    assert (change.actor_type, change.actor_client_id, change.actor_user_id) == (
        ActorType.API_CLIENT,
        operator.client.pk,
        None,
    )
    # and the change is queued for the provider, in the same transaction
    assert Delivery.objects.get(invoice=invoice).status_change == change


def test_the_history_lists_every_change_oldest_first(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)
    api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "open"}, format="json")
    api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "paid", "reason": "wire"}, format="json")

    response = api.get(url("invoices", invoice.pk, "history"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["from_status"], r["to_status"], r["door"]) for r in rows] == [
        ("", "draft", "command"),
        ("draft", "open", "api"),
        ("open", "paid", "api"),
    ]
    assert rows[2]["actor"] == {"type": "api_client", "label": "api:erp-operator"}
    assert rows[2]["reason"] == "wire"


def test_a_refused_transition_is_a_409_naming_both_statuses_and_changes_nothing(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a, status="paid")
    before = history_of(invoice)

    response = api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "draft"}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "illegal_transition"
    assert "'Paid'" in error["message"]
    assert "'Draft'" in error["message"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.version) == ("paid", 1)
    assert history_of(invoice) == before
    assert not Delivery.objects.filter(invoice=invoice).exists()


def test_a_move_to_the_same_status_is_refused_too(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "draft"}, format="json")

    assert response.status_code == 409
    assert "already has that status" in error_of(response)["message"]


def test_an_unknown_status_is_a_400(api: APIClient, account_a: Any) -> None:
    invoice = make_invoice(account=account_a)

    response = api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "lost"}, format="json")

    assert response.status_code == 400
    assert "to_status" in error_of(response)["fields"]


def test_a_provider_rule_refuses_the_move_before_anything_is_recorded(api: APIClient, issue_api_client: Any) -> None:
    from tests.factories import ProviderAccountFactory

    rapyd = ProviderAccountFactory(kind="rapyd")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_client(rapyd).token}")
    invoice = make_invoice(account=rapyd, status="paid")

    response = client.post(url("invoices", invoice.pk, "transitions"), {"to_status": "refunded"}, format="json")

    assert response.status_code == 409
    assert "Rapyd invoices have no refunded state" in error_of(response)["message"]
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_transition_with_a_stale_if_match_is_412_and_with_a_stale_version_409(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)
    api.patch(url("invoices", invoice.pk), {"courier": "DHL"}, format="json")  # version 2 now

    by_header = api.post(
        url("invoices", invoice.pk, "transitions"), {"to_status": "open"}, format="json", HTTP_IF_MATCH='"1"'
    )
    by_body = api.post(url("invoices", invoice.pk, "transitions"), {"to_status": "open", "version": 1}, format="json")

    assert (by_header.status_code, by_body.status_code) == (412, 409)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.version) == ("draft", 2)
    current = api.post(
        url("invoices", invoice.pk, "transitions"), {"to_status": "open"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert current.status_code == 200


def test_if_match_and_a_different_version_together_are_a_400(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a)

    response = api.post(
        url("invoices", invoice.pk, "transitions"),
        {"to_status": "open", "version": 2},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 400
    assert "version" in error_of(response)["fields"]
