"""A stored webhook body never holds the account's credentials, and stays what processing can read again."""

from __future__ import annotations

import json

import pytest

from invoices.webhooks.receiving import stored_body
from providers.sandbox.credentials import sandbox_credentials
from tests.factories import ProviderAccountFactory

pytestmark = pytest.mark.django_db


def test_a_json_body_quoting_the_app_key_is_masked_in_its_strings_and_stays_json() -> None:
    credentials = {**sandbox_credentials("vtex"), "app_key": "vtexappkey-shop-QWERTY1234"}
    account = ProviderAccountFactory(kind="vtex", credentials=credentials)
    body = json.dumps(
        {"Domain": "Fulfillment", "OrderId": "1172452900788-01", "Origin": {"Key": credentials["app_key"]}, "n": 1234}
    )

    stored = stored_body(account, body)

    data = json.loads(stored)
    assert credentials["app_key"] not in stored
    assert data["OrderId"] == "1172452900788-01"
    assert data["Origin"]["Key"] != credentials["app_key"]
    assert data["n"] == 1234


def test_a_body_that_quotes_no_credential_is_kept_byte_for_byte() -> None:
    account = ProviderAccountFactory(kind="vtex", credentials=sandbox_credentials("vtex"))
    body = '{"Domain":"Fulfillment",  "OrderId":"1172452900788-01"}'

    assert stored_body(account, body) == body


def test_a_body_that_is_not_json_is_masked_as_text() -> None:
    credentials = {**sandbox_credentials("vtex"), "app_key": "vtexappkey-shop-QWERTY1234"}
    account = ProviderAccountFactory(kind="vtex", credentials=credentials)

    stored = stored_body(account, "key=vtexappkey-shop-QWERTY1234&x=1")

    assert "vtexappkey-shop-QWERTY1234" not in stored
    assert stored.endswith("&x=1")
