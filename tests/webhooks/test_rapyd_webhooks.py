"""Rapyd webhooks, sent by the sandbox over HTTP and signed as Rapyd signs them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from django.test import override_settings

from invoices.models import Door, WebhookState
from providers.models import ProviderAccount
from providers.rapyd import signing
from providers.sandbox.webhooks import send_rapyd_webhook
from tests.factories import history_of

from .conftest import deliveries_of, events, refreshed


def send(url: str, account: ProviderAccount, event_type: str, invoice_obj: dict[str, Any], **kwargs: Any) -> Any:
    return send_rapyd_webhook(url, account.get_credentials(), event_type, invoice_obj, **kwargs)


def test_a_payment_walks_a_draft_invoice_through_open_to_paid(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("draft", remote_status="paid")
    paid_at = int(time.time()) - 5

    response = send(hook_url(rapyd_account), rapyd_account, "INVOICE_PAYMENT_SUCCEEDED", remote, created_at=paid_at)

    assert response.status_code == 200
    assert response.json()["state"] == WebhookState.PROCESSED
    invoice = refreshed(invoice)
    assert invoice.status == "paid"
    assert history_of(invoice) == [("", "draft"), ("draft", "open"), ("open", "paid")]
    assert set(invoice.history.exclude(from_status="").values_list("door", "actor_label")) == {
        (Door.WEBHOOK, "rapyd webhook")
    }
    assert int(invoice.paid_at.timestamp()) == paid_at
    assert int(invoice.last_provider_event_at.timestamp()) == paid_at
    [event] = events()
    assert (event.kind, event.event_type, event.invoice_id, event.valid) == (
        "rapyd",
        "INVOICE_PAYMENT_SUCCEEDED",
        invoice.pk,
        True,
    )


def test_a_change_applied_by_webhook_queues_no_delivery_back_to_the_provider(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")

    send(hook_url(rapyd_account), rapyd_account, "INVOICE_UPDATED", {**remote, "status": "void"})

    assert refreshed(invoice).status == "void"
    assert deliveries_of(invoice) == 0
    assert refreshed(invoice).sync_state == "local"


def test_a_forged_signature_is_refused_with_401_and_changes_nothing(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")
    forged = {"access_key": rapyd_account.get_credentials()["access_key"], "secret_key": "rsk_guessed-wrong"}

    response = send_rapyd_webhook(
        hook_url(rapyd_account), forged, "INVOICE_PAYMENT_SUCCEEDED", {**remote, "status": "paid"}
    )

    assert response.status_code == 401
    assert "signature does not match" in response.json()["error"]["message"]
    assert refreshed(invoice).status == "open"
    assert history_of(invoice) == [("", "draft")]
    [event] = events()
    assert (event.state, event.valid) == (WebhookState.INVALID, False)
    assert event.event_type == "INVOICE_PAYMENT_SUCCEEDED"  # what it claimed, kept for reading
    assert event.body  # the raw delivery is kept
    assert event.headers["signature"] == "***"


def test_a_stale_timestamp_is_refused_with_401_and_changes_nothing(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")

    response = send(
        hook_url(rapyd_account),
        rapyd_account,
        "INVOICE_UPDATED",
        {**remote, "status": "paid"},
        timestamp=int(time.time()) - 61,
    )

    assert response.status_code == 401
    assert "60 seconds" in response.json()["error"]["message"]
    assert refreshed(invoice).status == "open"
    assert [e.state for e in events()] == [WebhookState.INVALID]


def test_a_replayed_delivery_with_a_used_salt_is_refused(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")
    url = hook_url(rapyd_account)
    first = send(url, rapyd_account, "INVOICE_UPDATED", {**remote, "status": "uncollectible"}, salt="s4ltS4ltS4lt")
    replay = requests.post(url, data=first.request.body, headers=dict(first.request.headers), timeout=10)

    assert first.status_code == 200
    assert replay.status_code == 401
    assert "salt was already used" in replay.json()["error"]["message"]
    assert history_of(refreshed(invoice)) == [("", "draft"), ("open", "uncollectible")]


@override_settings(WEBHOOK_PUBLIC_BASE_URL="https://backoffice.example.com")
def test_the_signature_covers_the_public_url_when_a_proxy_stands_in_front(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")
    url = hook_url(rapyd_account)
    public = f"https://backoffice.example.com/api/webhooks/rapyd/{rapyd_account.pk}/"

    signed_for_the_inner_url = send(url, rapyd_account, "INVOICE_UPDATED", {**remote, "status": "paid"})
    signed_for_the_public_url = send(
        url, rapyd_account, "INVOICE_UPDATED", {**remote, "status": "paid"}, signed_url=public
    )

    assert signed_for_the_inner_url.status_code == 401
    assert signed_for_the_public_url.status_code == 200
    assert refreshed(invoice).status == "paid"


def test_the_same_event_delivered_three_times_changes_the_status_once(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")
    paid = {**remote, "status": "paid"}
    created = int(time.time())

    answers = [
        send(
            hook_url(rapyd_account),
            rapyd_account,
            "INVOICE_PAYMENT_SUCCEEDED",
            paid,
            event_id="wh_once",
            created_at=created,
            status=status,
        )
        for status in ("NEW", "RET", "RET")
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert history_of(refreshed(invoice)) == [("", "draft"), ("open", "paid")]
    first, second, third = events()
    assert [e.state for e in (first, second, third)] == [
        WebhookState.PROCESSED,
        WebhookState.SKIPPED,
        WebhookState.SKIPPED,
    ]
    assert second.outcome.startswith(f"Duplicate of #{first.pk}")
    assert third.outcome.startswith(f"Duplicate of #{first.pk}")
    assert second.invoice_id == invoice.pk


def test_an_older_update_arriving_after_the_payment_leaves_the_invoice_paid(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("draft")
    now = int(time.time())
    url = hook_url(rapyd_account)

    send(url, rapyd_account, "INVOICE_PAYMENT_SUCCEEDED", {**remote, "status": "paid"}, created_at=now)
    late = send(url, rapyd_account, "INVOICE_UPDATED", {**remote, "status": "open"}, created_at=now - 30)

    assert late.status_code == 200
    invoice = refreshed(invoice)
    assert invoice.status == "paid"
    assert int(invoice.last_provider_event_at.timestamp()) == now
    assert history_of(invoice) == [("", "draft"), ("draft", "open"), ("open", "paid")]
    skipped = events()[-1]
    assert skipped.state == WebhookState.SKIPPED
    assert "older than the newest one already applied" in skipped.outcome


def test_an_event_for_an_invoice_we_do_not_hold_is_skipped(rapyd_account: ProviderAccount, hook_url: Any) -> None:
    unknown = {"id": "invoice_unknown0001", "status": "open"}

    response = send(hook_url(rapyd_account), rapyd_account, "INVOICE_UPDATED", unknown)

    assert response.status_code == 200
    [event] = events()
    assert event.state == WebhookState.SKIPPED
    assert "No invoice with remote id invoice_unknown0001" in event.outcome


def test_a_move_the_lifecycle_forbids_fails_with_its_message(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("void")

    response = send(hook_url(rapyd_account), rapyd_account, "INVOICE_PAYMENT_SUCCEEDED", {**remote, "status": "paid"})

    assert response.status_code == 200  # ours to look at, not the provider's to retry
    [event] = events()
    assert event.state == WebhookState.FAILED
    assert event.outcome == "Cannot change an invoice from 'Void' to 'Paid': allowed from there: none (final status)"
    assert refreshed(invoice).status == "void"


def test_a_completed_payment_pays_the_invoice_it_names(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")

    send(hook_url(rapyd_account), rapyd_account, "PAYMENT_COMPLETED", remote)

    assert refreshed(invoice).status == "paid"
    assert events()[0].state == WebhookState.PROCESSED


def test_an_event_type_we_do_not_act_on_is_acknowledged_and_skipped(
    rapyd_account: ProviderAccount, hook_url: Any
) -> None:
    response = send(hook_url(rapyd_account), rapyd_account, "CUSTOMER_UPDATED", {"id": "cus_0001", "name": "Ada"})

    assert response.status_code == 200
    [event] = events()
    assert (event.state, event.outcome) == (WebhookState.SKIPPED, "Rapyd CUSTOMER_UPDATED is not an event we act on.")


def test_a_signed_body_that_is_not_a_rapyd_event_is_refused_with_400(
    rapyd_account: ProviderAccount, hook_url: Any
) -> None:
    url = hook_url(rapyd_account)
    body, salt, stamp = '{"type":"INVOICE_UPDATED"}', signing.new_salt(), str(int(time.time()))
    credentials = rapyd_account.get_credentials()
    signature = signing.webhook_signature(url, salt, stamp, credentials["access_key"], credentials["secret_key"], body)

    response = requests.post(
        url, data=body, headers={"salt": salt, "timestamp": stamp, "signature": signature}, timeout=10
    )

    assert response.status_code == 400
    [event] = events()
    assert (event.state, event.valid) == (WebhookState.INVALID, False)
    assert "no id" in event.outcome


def test_a_webhook_for_an_account_that_does_not_exist_is_404_and_kept(live_server: Any) -> None:
    response = requests.post(f"{live_server.url}/api/webhooks/rapyd/999999/", data="{}", timeout=10)

    assert response.status_code == 404
    [event] = events()
    assert (event.state, event.account_id) == (WebhookState.INVALID, None)


def test_the_stored_headers_keep_the_salt_but_never_the_signature_or_a_key(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    _, remote = rapyd_invoice("open")

    response = send(hook_url(rapyd_account), rapyd_account, "INVOICE_UPDATED", remote)

    [event] = events()
    sent = response.request.headers
    assert event.headers["salt"] == sent["salt"]
    assert event.headers["signature"] == "***"
    stored = str(event.headers)
    assert sent["signature"] not in stored
    for secret in rapyd_account.get_credentials().values():
        assert secret not in stored


def test_the_same_event_delivered_three_times_at_once_is_applied_once(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")
    paid, created = {**remote, "status": "paid"}, int(time.time())

    def deliver(_: int) -> int:
        response = send(
            hook_url(rapyd_account),
            rapyd_account,
            "INVOICE_PAYMENT_SUCCEEDED",
            paid,
            event_id="wh_race",
            created_at=created,
        )
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(deliver, range(3)))

    assert codes == [200, 200, 200]
    assert history_of(refreshed(invoice)) == [("", "draft"), ("open", "paid")]
    assert sorted(e.state for e in events()) == [WebhookState.PROCESSED, WebhookState.SKIPPED, WebhookState.SKIPPED]


def test_a_webhook_url_configured_without_its_trailing_slash_is_served_too(
    rapyd_account: ProviderAccount, rapyd_invoice: Any, hook_url: Any
) -> None:
    invoice, remote = rapyd_invoice("open")

    response = send(hook_url(rapyd_account).rstrip("/"), rapyd_account, "INVOICE_UPDATED", {**remote, "status": "paid"})

    assert response.status_code == 200
    assert refreshed(invoice).status == "paid"
