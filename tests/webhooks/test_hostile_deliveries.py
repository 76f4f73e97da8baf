"""Deliveries no provider would send: each is answered 4xx and still kept (never a 500 that keeps nothing), a refused
one keeps only the start of its body, and an authenticated event whose processing was cut short is taken up again."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import requests
from django.core.management import call_command
from django.utils import timezone

from invoices.models import WebhookEvent, WebhookState
from invoices.webhooks.processing import STALLED_AFTER, webhook_reprocess_refusal
from invoices.webhooks.receiving import REFUSED_BODY_KEPT, Inbound, webhook_receive
from providers.jsonnumbers import dumps_compact
from providers.sandbox.webhooks import arcadier_invoice_paid

from .conftest import SECRET_HEADER, WEBHOOK_SECRET, events, refreshed

BEYOND_ANY_DATE = 99_999_999_999_999_999_999


def test_a_time_beyond_any_date_is_a_400_and_the_delivery_is_kept(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice()
    body = dumps_compact(arcadier_invoice_paid(transaction, created_at=BEYOND_ANY_DATE))

    signed = requests.post(hook_url(invoice.account), data=body, headers={SECRET_HEADER: WEBHOOK_SECRET}, timeout=10)
    unsigned = requests.post(hook_url(invoice.account), data=body, timeout=10)

    assert signed.status_code == 400
    assert "CreatedDateTime must be Unix seconds" in signed.json()["error"]["message"]
    assert unsigned.status_code == 401
    assert [(e.state, e.valid) for e in events(account=invoice.account)] == [(WebhookState.INVALID, False)] * 2
    assert refreshed(invoice).status == "open"


def test_a_time_far_ahead_of_now_is_refused(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, transaction = arcadier_invoice()
    next_week = int((timezone.now() + dt.timedelta(days=7)).timestamp())
    body = dumps_compact(arcadier_invoice_paid(transaction, created_at=next_week))

    response = requests.post(hook_url(invoice.account), data=body, headers={SECRET_HEADER: WEBHOOK_SECRET}, timeout=10)

    assert response.status_code == 400
    assert refreshed(invoice).status == "open"


def test_a_refused_delivery_keeps_only_the_start_of_a_large_body(arcadier_invoice: Any, hook_url: Any) -> None:
    invoice, _ = arcadier_invoice()
    body = '{"Action": "invoice.paid", "padding": "' + "x" * 200_000 + '"}'

    response = requests.post(hook_url(invoice.account), data=body, headers={SECRET_HEADER: "wrong"}, timeout=10)

    [event] = events(account=invoice.account)
    assert response.status_code == 401
    assert event.body.startswith(body[:REFUSED_BODY_KEPT])
    assert len(event.body) < REFUSED_BODY_KEPT + 100
    assert event.body.endswith(f"[{len(body) - REFUSED_BODY_KEPT} more characters not kept]")


def test_an_event_left_received_by_a_crash_is_taken_up_once_it_has_stalled(
    arcadier_invoice: Any, hook_url: Any
) -> None:
    # given an authenticated delivery stored, its processing never run (the process died after the commit)
    invoice, transaction = arcadier_invoice()
    body = dumps_compact(arcadier_invoice_paid(transaction))
    inbound = Inbound(
        kind="arcadier",
        account_id=invoice.account.pk,
        url=hook_url(invoice.account),
        headers={SECRET_HEADER: WEBHOOK_SECRET},
        body=body.encode(),
    )
    event = webhook_receive(inbound).event
    assert event.state == WebhookState.RECEIVED

    # when a reprocess runs at once, then after it has stalled
    refused_while_fresh = webhook_reprocess_refusal(event)
    call_command("reprocess_webhooks", stdout=StringIO(), stderr=StringIO())
    still_received = WebhookEvent.objects.get(pk=event.pk).state
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - STALLED_AFTER - dt.timedelta(1))
    call_command("reprocess_webhooks", stdout=StringIO(), stderr=StringIO())

    # then it is left alone while it may still be in progress, and applied once it has stalled
    assert "still being processed" in refused_while_fresh
    assert still_received == WebhookState.RECEIVED
    assert WebhookEvent.objects.get(pk=event.pk).state == WebhookState.PROCESSED
    assert refreshed(invoice).status == "paid"
