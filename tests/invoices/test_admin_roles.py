"""Each role sees and does exactly what it should in the admin; anything else is refused (403) or unlisted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from invoices.api_clients import api_client_create
from invoices.models import StatusChange
from providers.sandbox.models import SandboxFault, SandboxObject, SandboxRequest
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "operator", "administrator"]


def client_for(role: str) -> Client:
    """`role` is a group name, "superuser", or "staff" (a staff user in no group)."""
    if role == "superuser":
        user = UserFactory(is_superuser=True)
    else:
        user = UserFactory(role=None if role == "staff" else role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def objects() -> dict[str, Any]:
    account = ProviderAccountFactory(kind="generic")
    invoice = make_invoice(account=account)
    return {
        "invoice": invoice,
        "account": account,
        "change": StatusChange.objects.get(invoice=invoice),
        "client": api_client_create(name="erp", account_ids=[account.pk], role="operator").client,
        "fault": SandboxFault.objects.create(kind="generic"),
        "request": SandboxRequest.objects.create(kind="generic", method="PUT", path="/x", status_code=200),
        "object": SandboxObject.objects.create(kind="generic", collection="invoices", key="k1"),
    }


# (url name, object key or None, {role: expected status}) for GET requests.
PAGES = [
    (
        "invoices_invoice_changelist",
        None,
        {"staff": 403, "viewer": 200, "operator": 200, "administrator": 200},
    ),
    (
        "invoices_invoice_change",
        "invoice",
        {"staff": 403, "viewer": 200, "operator": 200, "administrator": 200},
    ),
    ("invoices_invoice_add", None, {"viewer": 403, "operator": 200, "administrator": 200}),
    ("invoices_invoice_change_status", "invoice", {"viewer": 403, "operator": 200, "administrator": 200}),
    (
        "invoices_statuschange_changelist",
        None,
        {"staff": 403, "viewer": 200, "operator": 200, "administrator": 200},
    ),
    ("invoices_statuschange_add", None, {"administrator": 403, "superuser": 403}),
    ("invoices_statuschange_delete", "change", {"administrator": 403, "superuser": 403}),
    ("invoices_apiclient_changelist", None, {"viewer": 403, "operator": 403, "administrator": 200}),
    ("invoices_apiclient_change", "client", {"viewer": 403, "operator": 403, "administrator": 200}),
    ("invoices_apiclient_add", None, {"administrator": 403, "superuser": 403}),
    ("invoices_apiclient_delete", "client", {"administrator": 403, "superuser": 403}),
    (
        "providers_provideraccount_changelist",
        None,
        {"staff": 403, "viewer": 200, "operator": 200, "administrator": 200},
    ),
    ("providers_provideraccount_change", "account", {"viewer": 200, "operator": 200, "administrator": 200}),
    ("providers_provideraccount_add", None, {"viewer": 403, "operator": 403, "administrator": 200}),
    ("sandbox_sandboxfault_changelist", None, {"viewer": 403, "operator": 403, "administrator": 200}),
    ("sandbox_sandboxfault_add", None, {"operator": 403, "administrator": 200}),
    ("sandbox_sandboxrequest_changelist", None, {"viewer": 403, "operator": 403, "administrator": 200}),
    ("sandbox_sandboxrequest_add", None, {"administrator": 403, "superuser": 403}),
    ("sandbox_sandboxrequest_delete", "request", {"administrator": 403, "superuser": 403}),
    ("sandbox_sandboxobject_changelist", None, {"operator": 403, "administrator": 200}),
    ("sandbox_sandboxobject_add", None, {"administrator": 403, "superuser": 403}),
]
CASES = [
    pytest.param(name, key, role, status, id=f"{name}-{role}")
    for name, key, expected in PAGES
    for role, status in expected.items()
]


@pytest.mark.parametrize(("url_name", "key", "role", "status"), CASES)
def test_each_role_reaches_exactly_its_pages(
    objects: dict[str, Any], url_name: str, key: str | None, role: str, status: int
) -> None:
    args = [objects[key].pk] if key else []

    response = client_for(role).get(reverse(f"admin:{url_name}", args=args))

    assert response.status_code == status


@pytest.mark.parametrize("role", ["administrator", "superuser"])
def test_history_rows_cannot_be_changed_or_deleted_through_the_admin_even_by_a_superuser(
    objects: dict[str, Any], role: str
) -> None:
    client = client_for(role)
    change = objects["change"]

    page = client.get(reverse("admin:invoices_statuschange_change", args=[change.pk]))
    edit = client.post(reverse("admin:invoices_statuschange_change", args=[change.pk]), {"reason": "rewritten"})
    delete = client.post(reverse("admin:invoices_statuschange_delete", args=[change.pk]), {"post": "yes"})
    add = client.post(reverse("admin:invoices_statuschange_add"), {"reason": "invented"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    assert (edit.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    change.refresh_from_db()
    assert change.reason == "created"
    assert StatusChange.objects.count() == 1


def test_the_history_inline_offers_no_add_change_or_delete_to_a_superuser(objects: dict[str, Any]) -> None:
    response = client_for("superuser").get(reverse("admin:invoices_invoice_change", args=[objects["invoice"].pk]))

    [history] = [i for i in response.context["inline_admin_formsets"] if i.formset.model is StatusChange]
    assert (history.has_add_permission, history.has_change_permission, history.has_delete_permission) == (
        False,
        False,
        False,
    )
    # every column is read-only: the row's form holds nothing but its hidden keys
    assert set(history.formset.forms[0].fields) == {"id", "invoice"}
    assert set(history.readonly_fields) == {"at", "from_status", "to_status", "actor_label", "door", "reason"}


@pytest.mark.parametrize(
    ("role", "listed", "not_listed"),
    [
        (
            "viewer",
            ["Invoices", "Provider accounts", "Status changes"],
            ["API clients", "Sandbox fault settings"],
        ),
        ("operator", ["Invoices", "Provider accounts"], ["API clients", "Sandbox requests"]),
        ("administrator", ["Invoices", "API clients", "Sandbox fault settings", "Sandbox requests"], []),
    ],
)
def test_the_index_lists_what_the_role_may_see(role: str, listed: list[str], not_listed: list[str]) -> None:
    html = client_for(role).get(reverse("admin:index")).content.decode()

    assert "Invoice back-office" in html
    for name in listed:
        assert name in html
    for name in not_listed:
        assert name not in html


def test_a_viewer_cannot_change_a_provider_account_or_an_api_client(objects: dict[str, Any]) -> None:
    client = client_for("viewer")
    account, api_client = objects["account"], objects["client"]

    account_post = client.post(
        reverse("admin:providers_provideraccount_change", args=[account.pk]),
        {"name": "renamed", "base_url": "https://example.com", "settings": "{}"},
    )
    client_post = client.post(reverse("admin:invoices_apiclient_change", args=[api_client.pk]), {"is_active": ""})

    assert (account_post.status_code, client_post.status_code) == (403, 403)
    account.refresh_from_db()
    api_client.refresh_from_db()
    assert account.name != "renamed"
    assert api_client.is_active
