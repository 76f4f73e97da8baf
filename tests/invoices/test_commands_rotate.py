"""rotate_encryption_keys: every stored secret moves to the primary key; the old key can then be dropped."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings

from invoices.api_clients import api_client_create
from invoices.models import ApiClient
from providers.models import ProviderAccount
from tests.factories import DEFAULT_CREDENTIALS, ProviderAccountFactory

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_after_rotation_only_the_new_key_is_needed() -> None:
    # given: secrets encrypted under key A
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        rapyd = ProviderAccountFactory(kind="rapyd", name="rapyd")
        vtex = ProviderAccountFactory(kind="vtex", name="vtex")
        issued = [api_client_create(name=f"client-{n}", account_ids=[], role="operator") for n in range(3)]
        before = {a.pk: a.credentials_encrypted for a in ProviderAccount.objects.all()}

    # when: B is prepended and the rotation runs (in batches smaller than the row count)
    out = StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)

    # then: with B alone everything still decrypts
    assert "Re-encrypted 2 provider account credential set(s) and 3 API client secret(s)" in out.getvalue()
    assert "0 could not be decrypted" in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        rapyd.refresh_from_db()
        vtex.refresh_from_db()
        assert rapyd.get_credentials() == DEFAULT_CREDENTIALS["rapyd"]
        assert vtex.get_credentials() == DEFAULT_CREDENTIALS["vtex"]
        for credentials in issued:
            assert ApiClient.objects.get(pk=credentials.client.pk).get_secret_key() == credentials.secret_key
    assert all(a.credentials_encrypted != before[a.pk] for a in ProviderAccount.objects.all())


def test_stored_credentials_hold_no_plaintext() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        account = ProviderAccountFactory(kind="rapyd", name="rapyd")
        call_command("rotate_encryption_keys", stdout=StringIO())

    raw = ProviderAccount.objects.filter(pk=account.pk).values_list("credentials_encrypted", flat=True).get()
    for value in DEFAULT_CREDENTIALS["rapyd"].values():
        assert value not in raw
    assert "secret_key" not in raw
    assert "access_key" not in raw


def test_a_value_no_key_can_read_fails_the_run_and_is_named_without_its_value() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        lost = ProviderAccountFactory(kind="rapyd", name="lost-key")
        issued = api_client_create(name="orphan", account_ids=[], role="viewer")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        kept = ProviderAccountFactory(kind="vtex", name="kept")

    out, err = StringIO(), StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(CommandError) as failure:
        call_command("rotate_encryption_keys", stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert f"provider account #{lost.pk} 'lost-key'" in err.getvalue()
    assert f"API client #{issued.client.pk} 'orphan'" in err.getvalue()
    assert "2 could not be decrypted" in out.getvalue()
    printed = out.getvalue() + err.getvalue() + str(failure.value)
    for secret in [*DEFAULT_CREDENTIALS["rapyd"].values(), issued.secret_key]:
        assert secret not in printed
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        kept.refresh_from_db()
        assert kept.get_credentials() == DEFAULT_CREDENTIALS["vtex"]


def test_a_dry_run_checks_without_writing() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        account = ProviderAccountFactory(kind="rapyd", name="rapyd")
    before = account.credentials_encrypted

    out = StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys", "--dry-run", stdout=out)

    account.refresh_from_db()
    assert account.credentials_encrypted == before
    assert "Checked 1 provider account credential set(s)" in out.getvalue()


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_encryption_keys", "--batch-size", "0", stdout=StringIO())
