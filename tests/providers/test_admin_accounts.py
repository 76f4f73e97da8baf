"""Provider accounts in the admin: write-only credentials, the kind chosen first, and the connection test."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from providers.models import ProviderAccount
from tests.factories import ProviderAccountFactory, UserFactory

ADD = reverse("admin:providers_provideraccount_add")
CHANGELIST = reverse("admin:providers_provideraccount_changelist")

ACCESS_KEY = "rak_LIVE0123456789WXYZ"
SECRET_KEY = "rsk_live_s3cr3t_value_that_must_not_leak_Q7Z9"
TOKEN = "gen-token-known-value-2b7e151628aed2a6"
API_KEY = "gen-apikey-known-value-abf7158809cf4f3c"


def change_url(account: ProviderAccount) -> str:
    return reverse("admin:providers_provideraccount_change", args=[account.pk])


def client_for(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True) if role == "superuser" else UserFactory(role=role))
    return client


def account_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Rapyd live",
        "base_url": "https://api.rapyd.net",
        "settings": "{}",
        "enabled": "on",
        "max_concurrency": "4",
        "connect_timeout": "5",
        "read_timeout": "20",
    }
    data.update(overrides)
    return data


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def assert_no_secret(html: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in html
        assert secret[:-4] not in html  # not even most of it


@pytest.mark.django_db
def test_adding_an_account_starts_by_choosing_its_kind() -> None:
    response = client_for("administrator").get(ADD)

    assert response.status_code == 200
    html = response.content.decode()
    for kind in ("arcadier", "modulus", "generic", "vtex", "rapyd"):
        assert f'href="?kind={kind}"' in html


@pytest.mark.django_db
def test_the_add_form_asks_for_the_credentials_of_the_chosen_kind_as_password_fields() -> None:
    response = client_for("administrator").get(ADD, {"kind": "rapyd"})

    form = response.context["adminform"].form
    assert {"credential_access_key", "credential_secret_key"} <= set(form.fields)
    assert not {"credential_token", "credential_app_key"} & set(form.fields)
    html = response.content.decode()
    assert 'type="password" name="credential_secret_key"' in html
    assert form.fields["kind"].disabled


@pytest.mark.django_db
def test_an_account_is_added_with_its_credentials_encrypted_and_the_kind_fixed() -> None:
    client = client_for("administrator")

    response = client.post(
        f"{ADD}?kind=rapyd",
        account_data(kind="generic", credential_access_key=ACCESS_KEY, credential_secret_key=SECRET_KEY),
    )

    assert response.status_code == 302
    account = ProviderAccount.objects.get(name="Rapyd live")
    assert account.kind == "rapyd"  # the posted kind is ignored: the form follows the kind chosen first
    assert account.get_credentials() == {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    assert SECRET_KEY not in account.credentials_encrypted


@pytest.mark.django_db
def test_a_required_credential_is_required_on_add() -> None:
    response = client_for("administrator").post(f"{ADD}?kind=rapyd", account_data(credential_access_key=ACCESS_KEY))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["credential_secret_key"]
    assert not ProviderAccount.objects.exists()


@pytest.mark.django_db
def test_a_blank_credential_keeps_the_stored_value_and_a_new_one_replaces_it() -> None:
    # given
    account = ProviderAccountFactory(kind="generic", credentials={"token": TOKEN, "api_key": API_KEY})
    client = client_for("administrator")

    # when only the token is typed in
    response = client.post(
        change_url(account),
        account_data(name=account.name, base_url=account.base_url, credential_token="a-brand-new-token-0001"),
    )

    # then
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.get_credentials() == {"token": "a-brand-new-token-0001", "api_key": API_KEY}


@pytest.mark.django_db
def test_no_admin_page_shows_a_secret_only_that_it_is_set_and_its_last_four() -> None:
    # given an account saved through the admin with known credential values
    client = client_for("administrator")
    client.post(f"{ADD}?kind=rapyd", account_data(credential_access_key=ACCESS_KEY, credential_secret_key=SECRET_KEY))
    account = ProviderAccount.objects.get(name="Rapyd live")
    client.post(change_url(account), account_data(enabled="", credential_secret_key=SECRET_KEY))

    # when
    pages = {
        "list": client.get(CHANGELIST),
        "change": client.get(change_url(account)),
        "history": client.get(reverse("admin:providers_provideraccount_history", args=[account.pk])),
        "refused form": client.post(
            change_url(account), account_data(base_url="http://example.com", credential_secret_key=SECRET_KEY)
        ),
        "index": client.get(reverse("admin:index")),
    }

    # then
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_no_secret(response.content.decode(), ACCESS_KEY, SECRET_KEY)
    change_page = pages["change"].content.decode()
    assert f"set, ending in …{ACCESS_KEY[-4:]}" in change_page
    assert f"set, ending in …{SECRET_KEY[-4:]}" in change_page
    for entry in LogEntry.objects.all():
        assert_no_secret(entry.change_message + entry.object_repr, ACCESS_KEY, SECRET_KEY)


@pytest.mark.django_db
def test_credentials_stored_under_a_lost_key_can_be_entered_again() -> None:
    # given credentials encrypted under a key that is no longer configured
    account = ProviderAccountFactory(kind="generic")
    ProviderAccount.objects.filter(pk=account.pk).update(credentials_encrypted="gAAAAAB-not-decryptable")
    client = client_for("administrator")

    page = client.get(change_url(account))
    response = client.post(
        change_url(account),
        account_data(name=account.name, base_url=account.base_url, credential_token=TOKEN),
    )

    assert page.status_code == 200
    assert "cannot be decrypted with the configured keys" in page.content.decode()
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.get_credentials() == {"token": TOKEN}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_see_accounts_without_any_credential_field(role: str) -> None:
    account = ProviderAccountFactory(kind="generic", credentials={"token": TOKEN, "api_key": API_KEY})
    client = client_for(role)

    listing = client.get(CHANGELIST)
    page = client.get(change_url(account))
    post = client.post(change_url(account), account_data(name="renamed", credential_token="stolen-token-00001"))

    assert listing.status_code == 200
    assert account.name in listing.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert "credential_" not in html
    assert "ending in" not in html
    assert_no_secret(html, TOKEN, API_KEY)
    assert post.status_code == 403
    account.refresh_from_db()
    assert account.get_credentials()["token"] == TOKEN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://example.com", "must use https"),
        ("https://user:pass@api.example.com", "never in the URL"),
        ("ftp://api.example.com", "absolute http(s) URL"),
        ("https://api.example.com/?key=1", "no query string"),
    ],
)
def test_the_base_url_is_validated(base_url: str, expected: str) -> None:
    account = ProviderAccountFactory(kind="generic")

    response = client_for("administrator").post(change_url(account), account_data(base_url=base_url))

    assert response.status_code == 200
    assert any(expected in message for message in response.context["adminform"].form.errors["base_url"])
    account.refresh_from_db()
    assert account.base_url != base_url


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("[1, 2]", "JSON object"),
        ('{"auth_scheme": "magic"}', "auth_scheme must be one of"),
        ("{", "valid JSON"),
    ],
)
def test_settings_must_be_a_json_object_the_kind_understands(settings: str, expected: str) -> None:
    account = ProviderAccountFactory(kind="generic")

    response = client_for("administrator").post(change_url(account), account_data(settings=settings))

    assert response.status_code == 200
    assert any(expected in message for message in response.context["adminform"].form.errors["settings"])


@pytest.mark.django_db
def test_settings_are_editable() -> None:
    account = ProviderAccountFactory(kind="generic")

    client_for("administrator").post(
        change_url(account), account_data(settings='{"auth_scheme": "api_key", "api_key_header": "X-Key"}')
    )

    account.refresh_from_db()
    assert account.settings == {"auth_scheme": "api_key", "api_key_header": "X-Key"}


def run_connection_test(client: Client, accounts: list[ProviderAccount]) -> Any:
    return client.post(
        CHANGELIST, {"action": "check_connection", "_selected_action": [a.pk for a in accounts], "index": "0"}
    )


def test_the_connection_test_reports_success_and_failure_per_account(sandbox_account: Any) -> None:
    # given one account with the credentials the sandbox accepts, one with wrong ones
    good = sandbox_account("generic", name="good")
    bad = sandbox_account(
        "generic",
        name="bad",
        credentials={"token": "wrong-token-0123456789", "api_key": "wrong-key-0123456789"},
    )

    # when
    response = run_connection_test(client_for("operator"), [good, bad])

    # then
    assert response.status_code == 302
    messages = dict((m.split(":")[0], (level, m)) for level, m in messages_of(response))
    assert messages["good"][0] == "success"
    assert messages["bad"][0] == "error"
    assert "connection failed" in messages["bad"][1]
    assert "wrong-token-0123456789" not in messages["bad"][1]


@pytest.mark.django_db
def test_the_connection_test_reports_an_unreachable_provider() -> None:
    # nothing listens on the discard port: the connection is refused at once
    account = ProviderAccountFactory(kind="generic", name="nowhere", base_url="http://127.0.0.1:9/sandbox/generic")

    response = run_connection_test(client_for("administrator"), [account])

    [(level, message)] = messages_of(response)
    assert level == "error"
    assert message.startswith("nowhere: connection failed: ")


@pytest.mark.django_db
def test_a_viewer_cannot_run_the_connection_test() -> None:
    account = ProviderAccountFactory(kind="generic")
    client = client_for("viewer")

    listing = client.get(CHANGELIST)
    response = run_connection_test(client, [account])

    assert listing.context["action_form"] is None or "check_connection" not in dict(
        listing.context["action_form"].fields["action"].choices
    )
    assert not any(level == "success" for level, _ in messages_of(response))
