"""Who may do what: API clients by their accounts and role, staff exactly as in the admin, nobody anonymously."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from rest_framework.test import APIClient

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.models import Delivery, DeliveryState, Invoice
from tests.factories import UserFactory

from .helpers import error_of, generic_invoice, url, with_token


def new_invoice(account_id: int, number: str = "INV-ACCESS-1") -> dict[str, Any]:
    return {
        "account": account_id,
        "number": number,
        "customer_name": "A",
        "currency": "EUR",
        "issue_date": "2026-11-01",
    }


def failed_delivery(invoice: Invoice) -> Delivery:
    delivery = invoice_push(invoice_id=invoice.pk, actor=Actor.system("tests"))
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED)  # a fixture shortcut
    return delivery


# One request per ability: (ability, method, path, body). Built for one invoice and one delivery.
def requests_for(invoice: Invoice, delivery: Delivery, account_id: int) -> list[tuple[str, str, str, Any]]:
    return [
        ("view", "get", url("invoices", invoice.pk), None),
        ("view", "get", url("invoices"), None),
        ("view", "get", url("invoices", invoice.pk, "history"), None),
        ("add", "post", url("invoices"), new_invoice(account_id)),
        ("change", "patch", url("invoices", invoice.pk), {"courier": "DHL"}),
        ("change_status", "post", url("invoices", invoice.pk, "transitions"), {"to_status": "open"}),
        ("push", "post", url("invoices", invoice.pk, "push"), None),
        ("send_email", "post", url("invoices", invoice.pk, "emails"), {}),
        ("view_deliveries", "get", url("invoices", invoice.pk, "deliveries"), None),
        ("view_deliveries", "get", url("deliveries", delivery.pk), None),
        ("retry_delivery", "post", url("deliveries", delivery.pk, "retry"), None),
    ]


def call(client: APIClient, method: str, path: str, body: Any) -> Any:
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


READS = {"view", "view_deliveries"}


# --- API clients --------------------------------------------------------------------------------------------------
def test_nobody_anonymous_gets_in(account_a: Any) -> None:
    invoice = generic_invoice(account_a)
    delivery = failed_delivery(invoice)

    for _, method, path, body in requests_for(invoice, delivery, account_a.pk):
        response = call(APIClient(), method, path, body)
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Token realm="api"'


@pytest.mark.parametrize("header", ["Token nope", "Bearer nope", "Token ", "Bearer"])
def test_an_unknown_token_is_a_401(header: str, db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(url("invoices"))

    assert response.status_code == 401
    assert error_of(response)["code"] in {"authentication_failed", "not_authenticated"}


def test_a_deactivated_client_is_refused(operator: Any, api: APIClient) -> None:
    assert api.get(url("invoices")).status_code == 200
    type(operator.client).objects.filter(pk=operator.client.pk).update(is_active=False)

    assert api.get(url("invoices")).status_code == 401


def test_both_token_schemes_are_accepted(operator: Any) -> None:
    assert with_token(operator.token, scheme="Token").get(url("invoices")).status_code == 200
    assert with_token(operator.token, scheme="Bearer").get(url("invoices")).status_code == 200


def test_a_client_cannot_see_or_touch_the_invoices_of_an_account_it_is_not_linked_to(
    api: APIClient, account_a: Any, account_b: Any
) -> None:
    mine = generic_invoice(account_a)
    theirs = generic_invoice(account_b)
    their_delivery = failed_delivery(theirs)

    listed = {row["id"] for row in api.get(url("invoices")).json()["results"]}
    assert listed == {mine.pk}
    for _, method, path, body in requests_for(theirs, their_delivery, account_b.pk):
        if path == url("invoices"):
            continue
        response = call(api, method, path, body)
        assert response.status_code == 404, (method, path, response.json())
        assert error_of(response)["code"] == "not_found"
    # nor create one in the other account
    response = api.post(url("invoices"), new_invoice(account_b.pk), format="json")
    assert response.status_code == 400
    assert "account" in error_of(response)["fields"]
    theirs.refresh_from_db()
    assert (theirs.status, theirs.courier, theirs.version) == ("draft", "", 1)
    assert Delivery.objects.get(pk=their_delivery.pk).state == DeliveryState.FAILED
    assert not Invoice.objects.filter(number="INV-ACCESS-1").exists()


def test_a_viewer_client_reads_but_every_write_is_a_403(viewer: Any, account_a: Any) -> None:
    client = with_token(viewer.token)
    invoice = generic_invoice(account_a, customer_email="ada@example.com")
    delivery = failed_delivery(invoice)

    for ability, method, path, body in requests_for(invoice, delivery, account_a.pk):
        response = call(client, method, path, body)
        if ability in READS:
            assert response.status_code == 200, (method, path)
        else:
            assert response.status_code == 403, (method, path)
            assert error_of(response)["code"] == "permission_denied"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.courier, invoice.version) == ("draft", "", 1)


def test_an_operator_client_may_do_everything_on_its_accounts(api: APIClient, account_a: Any) -> None:
    invoice = generic_invoice(account_a, customer_email="ada@example.com")
    delivery = failed_delivery(invoice)

    statuses = [
        call(api, method, path, body).status_code
        for _, method, path, body in requests_for(invoice, delivery, account_a.pk)
    ]

    assert statuses == [200, 200, 200, 201, 200, 200, 202, 202, 200, 200, 202]


# --- Staff ----------------------------------------------------------------------------------------------------
def admin_allows(user: Any) -> dict[str, bool]:
    """What the admin lets this user do, asked of the admin itself."""
    request = RequestFactory().get("/admin/")
    request.user = user
    invoices, deliveries = admin.site._registry[Invoice], admin.site._registry[Delivery]
    enters = admin.site.has_permission(request)
    return {
        "view": enters and invoices.has_view_permission(request),
        "add": enters and invoices.has_add_permission(request),
        "change": enters and invoices.has_change_permission(request),
        "change_status": enters and invoices.has_change_status_permission(request),
        "push": enters and invoices.has_push_permission(request),
        "send_email": enters and invoices.has_send_email_permission(request),
        "view_deliveries": enters and deliveries.has_view_permission(request),
        "retry_delivery": enters and deliveries.has_retry_permission(request),
    }


@pytest.mark.parametrize(
    ("role", "is_staff", "expected"),
    [
        ("viewer", True, READS),
        ("operator", True, READS | {"add", "change", "change_status", "push", "send_email", "retry_delivery"}),
        ("administrator", True, READS | {"add", "change", "change_status", "push", "send_email", "retry_delivery"}),
        (None, True, set()),  # staff without a role
        ("operator", False, set()),  # not staff: the admin does not let them in either
    ],
)
def test_staff_may_do_through_the_api_exactly_what_the_admin_lets_them(
    role: str | None, is_staff: bool, expected: set[str], account_a: Any
) -> None:
    user = UserFactory(role=role, is_staff=is_staff)
    client = APIClient()
    client.force_login(user)
    invoice = generic_invoice(account_a, customer_email="ada@example.com")
    delivery = failed_delivery(invoice)

    allowed = set()
    for ability, method, path, body in requests_for(invoice, delivery, account_a.pk):
        response = call(client, method, path, body)
        assert response.status_code != 401
        if response.status_code != 403:
            allowed.add(ability)
        else:
            assert ability not in expected, (role, method, path)

    assert allowed == expected
    assert allowed == {ability for ability, yes in admin_allows(user).items() if yes}


def test_staff_changes_are_recorded_with_the_user_as_actor(staff: Callable[[str], APIClient], account_a: Any) -> None:
    client = staff("operator")
    invoice = generic_invoice(account_a)

    client.post(url("invoices", invoice.pk, "transitions"), {"to_status": "open"}, format="json")

    change = invoice.history.latest("id")
    assert (change.actor_type, change.door) == ("user", "api")
    assert change.actor_user is not None
    assert change.actor_label == change.actor_user.username


def test_a_session_write_needs_the_csrf_token(account_a: Any) -> None:
    user = UserFactory(role="operator")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    invoice = generic_invoice(account_a)

    refused = client.patch(url("invoices", invoice.pk), {"courier": "DHL"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in error_of(refused)["message"]

    client.get(url("invoices", invoice.pk))  # reads need no token
    client.cookies["csrftoken"] = token = "a" * 32
    accepted = client.patch(url("invoices", invoice.pk), {"courier": "DHL"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
