"""Tracking updates and reading an order back from VTEX, over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from providers.base import RejectedError
from providers.sandbox.models import SandboxRequest
from providers.vtex import openapi
from tests.providers.faults import effects

from .helpers import ORDER_ID, SEND, TRACK

INVOICE_NUMBER = "/api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}"
DISPATCHED = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def shipped(sale, **fields):
    return sale(
        number="NF-1",
        courier="carrierOne",
        tracking_number="87658",
        tracking_url="https://www.tracking.com/url",
        dispatched_at=DISPATCHED,
        **fields,
    )


def test_tracking_is_recorded_on_the_invoice_and_the_answer_mapped(adapter, order, sale):
    invoice = shipped(sale)
    adapter.push(invoice, SEND)

    result = adapter.execute(invoice, TRACK)

    assert result.ok
    assert result.remote_number == "NF-1"
    assert len(result.data["receipt"]) == 32
    [sent] = result.exchanges
    assert (sent.method, sent.url) == (
        "PATCH",
        f"{adapter.account.base_url}/api/oms/pvt/orders/{ORDER_ID}/invoice/NF-1",
    )
    openapi.validate_request(INVOICE_NUMBER, "patch", json.loads(sent.request_body))
    openapi.validate_response(INVOICE_NUMBER, "patch", 200, json.loads(sent.response_body))
    remote = adapter.fetch_remote(invoice)
    assert remote.data["invoice"]["tracking_number"] == "87658"
    assert remote.data["invoice"]["courier"] == "carrierOne"
    assert remote.data["invoice"]["dispatched_at"] == str(DISPATCHED)
    assert effects("vtex")[-1] == f"tracking 87658 set on invoice NF-1 of order {ORDER_ID}"


def test_sending_the_same_tracking_again_changes_nothing(adapter, order, sale):
    invoice = shipped(sale)
    adapter.push(invoice, SEND)

    adapter.send_tracking(invoice, TRACK)
    adapter.send_tracking(invoice, TRACK)

    assert len([e for e in effects("vtex") if e.startswith("tracking")]) == 1


def test_tracking_an_invoice_vtex_does_not_hold_is_rejected(adapter, order, sale):
    with pytest.raises(RejectedError) as refused:
        adapter.send_tracking(shipped(sale), TRACK)

    assert refused.value.status_code == 404
    assert refused.value.message == f"Invoice NF-1 not found in order {ORDER_ID}."
    assert refused.value.provider_code == "1"


def test_tracking_without_a_tracking_number_is_refused_before_sending(adapter, order, sale):
    with pytest.raises(RejectedError, match="a tracking update needs a tracking number"):
        adapter.send_tracking(sale(courier="carrierOne"), TRACK)

    assert not SandboxRequest.objects.filter(kind="vtex").exists()


def test_fetch_reads_our_invoice_back_from_the_order(adapter, order, sale):
    invoice = sale(number="NF-1")
    adapter.push(invoice, SEND)

    remote = adapter.fetch_remote(invoice)

    assert remote.exists
    assert remote.status == "open"
    assert remote.remote_status == "invoiced"
    assert remote.data["fully_invoiced"] is True
    assert remote.data["invoice"]["remote_number"] == "NF-1"
    assert remote.data["invoice"]["invoice_type"] == "sale"
    assert Decimal(remote.data["invoice"]["total"]) == invoice.total
    assert [e.method for e in remote.exchanges] == ["GET"]


def test_fetch_before_sending_says_vtex_does_not_hold_the_invoice(adapter, order, sale):
    remote = adapter.fetch_remote(sale())

    assert not remote.exists
    assert remote.status is None
    assert remote.remote_status == "ready-for-handling"
    assert remote.data["invoiced_cents"] == 0


def test_fetch_of_an_unknown_order_says_it_does_not_exist(adapter, vtex_account, sale):
    remote = adapter.fetch_remote(sale(order_id="404-01"))

    assert not remote.exists
    assert remote.data["reason"] == "Order 404-01 not found."
    assert remote.exchanges[0].status_code == 404
