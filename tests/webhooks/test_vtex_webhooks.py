"""VTEX's Orders Hook, sent by the sandbox over HTTP with the hook's configured header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invoices.models import Invoice, InvoiceType, WebhookState
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox.webhooks import send_vtex_hook_ping, send_vtex_order_hook
from tests.factories import history_of, make_invoice

from .conftest import SECRET_HEADER, WEBHOOK_SECRET, deliveries_of, events, refreshed

ORDER = "1234567890123-01"


@pytest.fixture
def vtex_account(secret_account: Any) -> ProviderAccount:
    account: ProviderAccount = secret_account(ProviderKind.VTEX)
    return account


def vtex_invoice(account: ProviderAccount, status: str = "draft", **fields: Any) -> Invoice:
    return make_invoice(account=account, status=status, currency="BRL", orders=[{"order_id": ORDER}], **fields)


def test_the_hook_ping_is_answered_200_and_kept(vtex_account: ProviderAccount, hook_url: Any) -> None:
    response = send_vtex_hook_ping(hook_url(vtex_account), SECRET_HEADER, WEBHOOK_SECRET)

    assert response.status_code == 200
    [event] = events()
    assert (event.state, event.valid) == (WebhookState.SKIPPED, True)


def test_an_invoiced_order_opens_each_of_its_partial_invoices(vtex_account: ProviderAccount, hook_url: Any) -> None:
    first, second = vtex_invoice(vtex_account), vtex_invoice(vtex_account)
    returned = vtex_invoice(vtex_account, invoice_type=InvoiceType.RETURN)

    response = send_vtex_order_hook(
        hook_url(vtex_account), SECRET_HEADER, WEBHOOK_SECRET, ORDER, "invoiced", last_state="handling"
    )

    assert response.status_code == 200
    assert [refreshed(i).status for i in (first, second, returned)] == ["open", "open", "draft"]
    assert history_of(first) == [("", "draft"), ("draft", "open")]
    assert deliveries_of(first) == deliveries_of(second) == 0
    [event] = events()
    assert event.state == WebhookState.PROCESSED
    assert event.event_id.startswith(f"{ORDER}:invoiced:")


def test_a_canceled_order_voids_its_draft_invoice(vtex_account: ProviderAccount, hook_url: Any) -> None:
    invoice = vtex_invoice(vtex_account)

    send_vtex_order_hook(hook_url(vtex_account), SECRET_HEADER, WEBHOOK_SECRET, ORDER, "canceled")

    assert refreshed(invoice).status == "void"


def test_a_canceled_order_cannot_void_an_invoice_vtex_already_holds(
    vtex_account: ProviderAccount, hook_url: Any
) -> None:
    invoice = vtex_invoice(vtex_account, status="open")

    send_vtex_order_hook(hook_url(vtex_account), SECRET_HEADER, WEBHOOK_SECRET, ORDER, "canceled")

    assert refreshed(invoice).status == "open"
    [event] = events()
    assert event.state == WebhookState.FAILED
    assert event.outcome.startswith("Cannot change an invoice from 'Open (sent)' to 'Void'")


def test_a_state_before_invoicing_changes_nothing_once_the_invoice_was_sent(
    vtex_account: ProviderAccount, hook_url: Any
) -> None:
    invoice = vtex_invoice(vtex_account, status="open")

    send_vtex_order_hook(hook_url(vtex_account), SECRET_HEADER, WEBHOOK_SECRET, ORDER, "handling")

    assert refreshed(invoice).status == "open"
    [event] = events()
    assert event.state == WebhookState.SKIPPED
    assert "already past 'Draft'" in event.outcome


def test_hooks_delivered_out_of_order_end_in_the_newest_state(vtex_account: ProviderAccount, hook_url: Any) -> None:
    invoice = vtex_invoice(vtex_account)
    url, now = hook_url(vtex_account), datetime.now(tz=UTC)

    send_vtex_order_hook(url, SECRET_HEADER, WEBHOOK_SECRET, ORDER, "invoiced", current_change=now)
    send_vtex_order_hook(url, SECRET_HEADER, WEBHOOK_SECRET, ORDER, "canceled", current_change=now - timedelta(hours=1))

    assert refreshed(invoice).status == "open"
    assert [e.state for e in events()] == [WebhookState.PROCESSED, WebhookState.SKIPPED]


def test_a_wrong_secret_is_refused_with_401_and_changes_nothing(vtex_account: ProviderAccount, hook_url: Any) -> None:
    invoice = vtex_invoice(vtex_account)

    response = send_vtex_order_hook(hook_url(vtex_account), SECRET_HEADER, "not-the-secret", ORDER, "invoiced")
    ping = send_vtex_hook_ping(hook_url(vtex_account), SECRET_HEADER, "not-the-secret")

    assert (response.status_code, ping.status_code) == (401, 401)
    assert refreshed(invoice).status == "draft"
    assert [e.state for e in events()] == [WebhookState.INVALID, WebhookState.INVALID]
    assert all("not-the-secret" not in str(e.headers) for e in events())
