"""API clients in the admin: administrators choose accounts and deactivate; credentials are never shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from invoices.api_clients import IssuedCredentials, api_client_create
from invoices.models import ApiClient
from tests.factories import ProviderAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invoices_apiclient_changelist")


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(UserFactory(role="administrator"))
    return client


@pytest.fixture
def issued() -> IssuedCredentials:
    account = ProviderAccountFactory(kind="generic", name="shop-a")
    return api_client_create(name="erp", account_ids=[account.pk], role="operator")


def stored_credentials(client: ApiClient) -> list[str]:
    return [client.token_hash, client.app_token_hash, client.secret_key_encrypted, client.token_prefix]


def test_the_list_explains_where_clients_come_from_and_shows_no_credential(
    administrator: Client, issued: IssuedCredentials
) -> None:
    html = administrator.get(CHANGELIST).content.decode()
    page = administrator.get(reverse("admin:invoices_apiclient_change", args=[issued.client.pk])).content.decode()

    assert "manage.py create_api_client" in html
    assert "erp" in html
    assert "shop-a" in html
    secrets = [issued.token, issued.app_token, issued.secret_key, *stored_credentials(issued.client)]
    for secret in secrets:
        assert secret not in html
        assert secret not in page


def test_an_administrator_changes_the_accounts_a_client_may_act_on_and_deactivates_it(
    administrator: Client, issued: IssuedCredentials
) -> None:
    other = ProviderAccountFactory(kind="rapyd", name="shop-b")
    before = stored_credentials(issued.client)

    response = administrator.post(
        reverse("admin:invoices_apiclient_change", args=[issued.client.pk]),
        {"accounts": [other.pk], "is_active": "", "name": "renamed", "role": "viewer"},
    )

    assert response.status_code == 302
    client = ApiClient.objects.get(pk=issued.client.pk)
    assert list(client.accounts.values_list("name", flat=True)) == ["shop-b"]
    assert not client.is_active
    assert (client.name, client.role) == ("erp", "operator")  # read-only here
    assert stored_credentials(client) == before


def test_the_deactivate_action_reports_what_it_did(administrator: Client, issued: IssuedCredentials) -> None:
    data: dict[str, Any] = {"action": "deactivate", "_selected_action": [issued.client.pk], "index": "0"}

    first = administrator.post(CHANGELIST, data, follow=True)  # the list shown after it takes its message
    second = administrator.post(CHANGELIST, data)

    assert not ApiClient.objects.get(pk=issued.client.pk).is_active
    assert [m.message for m in first.context["messages"]] == ["Deactivated 1 API client(s): erp."]
    assert [m.message for m in get_messages(second.wsgi_request)] == [
        "The selected API clients were already inactive: nothing changed."
    ]


@pytest.mark.parametrize("role", ["administrator", "superuser"])
def test_clients_are_neither_added_nor_deleted_in_the_admin(role: str, issued: IssuedCredentials) -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True) if role == "superuser" else UserFactory(role=role))

    add = client.post(reverse("admin:invoices_apiclient_add"), {"name": "sneaky"})
    delete = client.post(reverse("admin:invoices_apiclient_delete", args=[issued.client.pk]), {"post": "yes"})

    assert (add.status_code, delete.status_code) == (403, 403)
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["erp"]
