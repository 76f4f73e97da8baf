"""The dry-run preview: the exact requests a push or an email would send, secrets masked, no network."""

from __future__ import annotations

import json

import pytest

from providers.arcadier import payloads
from providers.arcadier.adapter import ADMIN_PLACEHOLDER, ArcadierAdapter
from providers.base import AccountConfig, Change, Operation, RejectedError, UnsupportedOperation
from providers.jsonnumbers import dumps_compact
from tests.providers.arcadier.support import an_invoice, email, guid, push

CREDENTIALS = {"client_id": "arc-client-id-preview", "client_secret": "arc-client-secret-preview"}
# Nothing listens on port 9 (discard): a preview that touched the network would fail.
BASE = "http://127.0.0.1:9/sandbox/arcadier"


def adapter() -> ArcadierAdapter:
    account = AccountConfig(id=7, kind="arcadier", name="preview", base_url=BASE, credentials=CREDENTIALS)
    return ArcadierAdapter(account)


def test_without_a_token_the_preview_shows_the_token_request_then_the_update_with_placeholders() -> None:
    invoice = an_invoice()

    token, update = adapter().preview(invoice, push("paid"))

    assert (token.method, token.url) == ("POST", f"{BASE}/token")
    assert token.body == "client_id=***&client_secret=***&grant_type=client_credentials&scope=admin"
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert update.method == "PUT"
    assert update.url == f"{BASE}/api/v2/admins/{ADMIN_PLACEHOLDER}/invoices/AR-000123"
    assert update.headers == {
        "Authorization": "***",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    assert update.body == dumps_compact(payloads.payments_body(invoice, "paid"))


def test_with_a_cached_token_the_preview_shows_only_the_update_for_the_known_admin() -> None:
    subject = adapter()
    admin = guid()
    subject.tokens.put(f"{admin}|cached-access-token-value", 3600)

    (update,) = subject.preview(an_invoice(), push("open"))

    assert update.url == f"{BASE}/api/v2/admins/{admin}/invoices/AR-000123"
    assert update.headers["Authorization"] == "***"
    assert "cached-access-token-value" not in json.dumps(update.__dict__)


def test_the_preview_of_an_email_is_the_invoice_email_request() -> None:
    subject = adapter()
    subject.tokens.put(f"{guid()}|cached-access-token-value", 3600)

    (request,) = subject.preview(an_invoice(remote_number="AR-5"), email())

    assert (request.method, request.url) == ("POST", f"{BASE}/api/v2/emails")
    assert request.body == '{"Type":"invoice","InvoiceNo":"AR-5"}'


def test_a_fields_only_push_sends_the_invoice_current_status() -> None:
    subject = adapter()
    subject.tokens.put(f"{guid()}|cached-access-token-value", 3600)
    change = Change(operation=Operation.PUSH, idempotency_key="k", to_status=None)

    (request,) = subject.preview(an_invoice(status="paid"), change)

    assert {item["Status"] for item in json.loads(request.body)} == {"Success"}


def test_no_credential_appears_in_any_preview() -> None:
    requests = adapter().preview(an_invoice(), push("open"))
    shown = json.dumps([r.__dict__ for r in requests])
    for secret in CREDENTIALS.values():
        assert secret not in shown


@pytest.mark.parametrize("status", ["draft", "uncollectible"])
def test_a_status_arcadier_does_not_have_cannot_be_previewed(status: str) -> None:
    with pytest.raises(RejectedError, match="Arcadier has no"):
        adapter().preview(an_invoice(status=status), push(status))


def test_an_invoice_without_orders_cannot_be_previewed() -> None:
    with pytest.raises(RejectedError, match="tie up orders"):
        adapter().preview(an_invoice(orders=()), push("open"))


def test_tracking_is_not_an_arcadier_operation() -> None:
    with pytest.raises(UnsupportedOperation):
        adapter().preview(an_invoice(), Change(operation=Operation.TRACKING, idempotency_key="k"))
