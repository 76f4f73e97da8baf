"""create_api_client and its service: credentials are shown once, stored only hashed or encrypted."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from backoffice import crypto
from invoices.api_clients import api_client_create
from invoices.models import ApiClient
from tests.factories import ProviderAccountFactory

pytestmark = pytest.mark.django_db

SECRET_NAMES = ("token", "app_token", "secret_key")


def stored_values(client: ApiClient) -> list[str]:
    """Every column of the client's row, as stored."""
    row = ApiClient.objects.filter(pk=client.pk).values().get()
    return [str(value) for value in row.values()]


def test_the_service_stores_tokens_hashed_and_the_secret_key_encrypted() -> None:
    account = ProviderAccountFactory(name="shop")

    issued = api_client_create(name="erp", account_ids=[account.pk], role="viewer")

    client = ApiClient.objects.get(name="erp")
    assert client.role == "viewer"
    assert list(client.accounts.all()) == [account]
    assert client.token_hash == crypto.hash_token(issued.token)
    assert client.token_prefix == issued.token[:8]
    assert client.app_token_hash == crypto.hash_token(issued.app_token)
    assert client.check_token(issued.token)
    assert not client.check_token(issued.token + "x")
    assert client.check_app_token(issued.app_token)
    assert client.get_secret_key() == issued.secret_key
    assert client.app_key == issued.app_key
    assert client.access_key == issued.access_key
    columns = stored_values(client)
    for name in SECRET_NAMES:
        assert not any(getattr(issued, name) in value for value in columns), f"{name} is stored in clear"


def test_issued_secrets_are_long_random_and_distinct_per_client() -> None:
    first = api_client_create(name="one", account_ids=[], role="operator")
    second = api_client_create(name="two", account_ids=[], role="operator")

    for name in ("token", "app_token"):
        assert len(getattr(first, name)) >= 43  # 32 random bytes, URL-safe base64
    assert len(first.secret_key) >= 43
    for name in ("token", "app_key", "app_token", "access_key", "secret_key"):
        assert getattr(first, name) != getattr(second, name)
    assert first.token not in repr(first)
    assert first.secret_key not in repr(first)


def test_the_service_refuses_a_taken_name_an_unknown_role_and_a_missing_account() -> None:
    api_client_create(name="erp", account_ids=[], role="operator")

    with pytest.raises(ValidationError) as taken:
        api_client_create(name="erp", account_ids=[], role="operator")
    with pytest.raises(ValidationError) as bad:
        api_client_create(name="new", account_ids=[987654], role="superuser")

    assert "already exists" in str(taken.value)
    assert "Unknown role" in str(bad.value)
    assert "987654" in str(bad.value)
    assert ApiClient.objects.count() == 1


def test_the_command_prints_one_json_object_with_every_credential_once() -> None:
    shop = ProviderAccountFactory(name="shop")
    other = ProviderAccountFactory(name="other")
    out = StringIO()

    call_command("create_api_client", "erp", "--account", "shop", "--account", str(other.pk), "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert {"token", "app_key", "app_token", "access_key", "secret_key", "id", "name"} <= set(data)
    assert data["name"] == "erp"
    assert data["role"] == "operator"
    client = ApiClient.objects.get(pk=data["id"])
    assert set(client.accounts.all()) == {shop, other}
    assert client.check_token(data["token"])
    assert client.get_secret_key() == data["secret_key"]
    assert out.getvalue().count(data["token"]) == 1


def test_the_command_as_text_lists_the_credentials_and_a_summary() -> None:
    ProviderAccountFactory(name="shop")
    out = StringIO()

    call_command("create_api_client", "erp", "--account", "shop", "--role", "viewer", stdout=out)

    text = out.getvalue()
    client = ApiClient.objects.get(name="erp")
    assert "shown this once" in text
    assert f"Created API client 'erp' (id {client.pk}, role viewer, accounts: shop)" in text
    token_line = next(line for line in text.splitlines() if line.strip().startswith("token "))
    assert client.check_token(token_line.split()[1])


def test_the_command_refuses_an_unknown_account_and_a_taken_name() -> None:
    call_command("create_api_client", "erp", stdout=StringIO())

    with pytest.raises(CommandError, match="No provider account named or numbered 'nowhere'"):
        call_command("create_api_client", "crm", "--account", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_api_client", "erp", stdout=StringIO())
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["erp"]
