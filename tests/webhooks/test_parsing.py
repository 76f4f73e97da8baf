"""Each provider's webhook body read into our terms, from payloads shaped as the providers document them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from invoices.webhooks.events import InvoiceRef, WebhookAuthenticationError, WebhookPayloadError
from providers.arcadier import webhooks as arcadier
from providers.rapyd import signing
from providers.rapyd import webhooks as rapyd
from providers.vtex import webhooks as vtex

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- Rapyd ---------------------------------------------------------------------------------------------------
def test_a_rapyd_invoice_payment_names_the_invoice_and_says_it_is_paid() -> None:
    event = rapyd.parse(fixture("rapyd_invoice_payment_succeeded.json"))

    assert (event.event_id, event.event_type) == ("wh_3c1f0e6a9b2d4e7f8a1b2c3d4e5f6a7b", "INVOICE_PAYMENT_SUCCEEDED")
    assert event.invoice == InvoiceRef(remote_id="invoice_5e2a9c0b7d4f41e6a3b8c1d2e3f4a5b6")
    assert event.status == "paid"
    assert event.occurred_at == at(1767229200.517)  # the milliseconds, when Rapyd gives them
    assert event.paid_at == event.occurred_at


def test_a_deleted_rapyd_draft_is_our_void() -> None:
    body = json.loads(fixture("rapyd_invoice_payment_succeeded.json"))
    body["type"], body["data"]["status"] = "INVOICE_UPDATED", "deleted"

    event = rapyd.parse(json.dumps(body))

    assert (event.status, event.paid_at) == ("void", None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"type": "INVOICE_UPDATED"}', "no id"),
        ('{"id": "wh_1", "type": "INVOICE_UPDATED", "data": {"id": "cus_1", "status": "open"}}', "invoice id"),
        ('{"id": "wh_1", "type": "INVOICE_UPDATED", "data": {"id": "invoice_1", "status": "odd"}}', "'odd'"),
        ('{"id": "wh_1", "type": "INVOICE_UPDATED", "created_at": "yesterday", "data": {}}', "Unix seconds"),
    ],
)
def test_a_body_that_is_not_a_rapyd_event_is_refused(body: str, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        rapyd.parse(body)


def test_a_payment_for_no_invoice_is_acknowledged_and_ignored() -> None:
    body = {"id": "wh_2", "type": "PAYMENT_COMPLETED", "created_at": 1767229200, "data": {"id": "payment_1"}}

    event = rapyd.parse(json.dumps(body))

    assert event.ignored == "The payment belongs to no invoice."


def test_the_rapyd_signature_is_checked_over_the_full_url_salt_timestamp_keys_and_body() -> None:
    url, body, now = "https://backoffice.example.com/api/webhooks/rapyd/3/", '{"id":"wh_1"}', 1767229200
    good = signing.webhook_signature(url, "abcdefgh", str(now), "rak_1", "rsk_1", body)
    headers = {"salt": "abcdefgh", "timestamp": str(now), "signature": good}

    salt = rapyd.check_signature(url=url, headers=headers, body=body, access_key="rak_1", secret_key="rsk_1", now=now)
    assert salt == "abcdefgh"
    for changed in ({"url": url + "?x=1"}, {"body": body + " "}, {"secret_key": "rsk_2"}, {"now": now + 61}):
        arguments = {"url": url, "body": body, "access_key": "rak_1", "secret_key": "rsk_1", "now": now, **changed}
        with pytest.raises(WebhookAuthenticationError):
            rapyd.check_signature(headers=headers, **arguments)  # type: ignore[arg-type]


# --- Arcadier ------------------------------------------------------------------------------------------------
def test_arcadier_invoice_paid_carries_each_orders_payment() -> None:
    event = arcadier.parse(fixture("arcadier_invoice_paid.json"))

    assert (event.event_id, event.event_type) == ("evt-3f2b6c1e-8d4a-4e5f-9a7b-1c2d3e4f5a6b", "invoice.paid")
    assert event.invoice == InvoiceRef(number="ARC1767229200QZTX")
    assert (event.status, event.occurred_at, event.paid_at) == ("paid", at(1767229260), at(1767229255))
    [payment] = event.order_payments
    assert payment.order_id == "6a1d0c2e-3b4f-4a5e-8c7d-9e0f1a2b3c4d"
    assert (payment.payment_status, payment.amount, payment.fee) == ("Paid", Decimal("250.00"), Decimal("2.50"))
    assert payment.gateway == {
        "PayKey": "ch_paykey_0001",
        "TransactionID": "ch_txn_0001",
        "Status": "succeeded",
        "TimeStamp": "1767229250",
        "Ref": "ch_ref_0001",
        "Code": "stripe",
    }


def test_an_arcadier_payment_status_is_kept_in_its_canonical_spelling() -> None:
    body = json.loads(fixture("arcadier_invoice_paid.json"))
    body["Data"]["Orders"][0]["PaymentStatus"] = "Waiting For Payment"

    event = arcadier.parse(json.dumps(body))

    assert event.status == "open"
    assert event.paid_at is None
    assert event.order_payments[0].payment_status == "Waiting for Payment"


def test_another_arcadier_action_is_acknowledged_and_ignored() -> None:
    event = arcadier.parse('{"Action": "order.created", "ID": "evt-9", "CreatedDateTime": 1767229260}')

    assert event.ignored == "Arcadier order.created is not an event we act on."


# --- VTEX ----------------------------------------------------------------------------------------------------
def test_a_vtex_order_hook_names_the_order_and_its_state() -> None:
    event = vtex.parse(fixture("vtex_order_hook.json"))

    assert event.event_id == "v71230045bsl-01:invoiced:2026-01-01T01:02:48.0965893Z"
    assert (event.event_type, event.status) == ("invoiced", "open")
    assert event.invoice == InvoiceRef(order_id="v71230045bsl-01")
    assert event.occurred_at == datetime(2026, 1, 1, 1, 2, 48, 96589, tzinfo=UTC)


def test_the_vtex_ping_is_recognised() -> None:
    assert vtex.parse('{"hookConfig": "ping"}').ignored


def test_a_vtex_state_without_counterpart_is_ignored() -> None:
    body = json.loads(fixture("vtex_order_hook.json"))
    body["State"] = "replaced"

    assert "has no counterpart" in vtex.parse(json.dumps(body)).ignored
