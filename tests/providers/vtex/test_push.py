"""Pushing invoices to VTEX over real HTTP: notifications, partial and return invoices, refusals."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from providers.base import Change, Operation, RejectedError
from providers.sandbox.models import SandboxRequest
from providers.sandbox.vtex import order_state, seed_order
from providers.vtex import openapi
from tests.providers.faults import effects

from .helpers import ORDER_ID, SEND, sale_lines

INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"


def test_sending_a_sale_invoice_invoices_the_order_and_maps_the_receipt(adapter, order, sale):
    # given an order of 20.00 and our invoice of 20.00 for it
    invoice = sale(number="NF-1001")

    # when
    result = adapter.push(invoice, SEND)

    # then
    assert result.ok
    assert result.status == "open"
    assert result.remote_number == "NF-1001"
    assert len(result.data["receipt"]) == 32
    assert result.data["order_id"] == ORDER_ID
    assert [e.method for e in result.exchanges] == ["POST"]
    state = order_state(ORDER_ID)
    assert state["status"] == "invoiced"
    [package] = state["packageAttachment"]["packages"]
    assert (package["type"], package["invoiceNumber"], package["invoiceValue"]) == ("Output", "NF-1001", 2000)
    assert effects("vtex") == [f"invoice NF-1001 (2000 cents) added to order {ORDER_ID}; order {ORDER_ID} invoiced"]


def test_the_request_sent_is_the_preview_and_both_follow_vtex_openapi(adapter, order, sale):
    invoice = sale()
    [previewed] = adapter.preview(invoice, SEND)

    result = adapter.push(invoice, SEND)

    [sent] = result.exchanges
    assert (sent.method, sent.url, sent.request_body) == (previewed.method, previewed.url, previewed.body)
    assert sent.request_headers == previewed.headers
    assert previewed.headers["X-VTEX-API-AppKey"] == previewed.headers["X-VTEX-API-AppToken"] == "***"
    assert previewed.headers["Content-Type"] == previewed.headers["Accept"] == "application/json"
    openapi.validate_request(INVOICE, "post", json.loads(previewed.body))
    openapi.validate_response(INVOICE, "post", 200, json.loads(sent.response_body))


def test_partial_invoices_leave_the_order_open_until_they_add_up_to_its_value(adapter, order, sale):
    first = sale(number="NF-1", lines=sale_lines(quantity="1"))
    second = sale(number="NF-2", lines=sale_lines(quantity="1"))

    adapter.push(first, SEND)
    assert order_state(ORDER_ID)["status"] == "ready-for-handling"
    adapter.push(second, SEND)

    assert order_state(ORDER_ID)["status"] == "invoiced"
    assert effects("vtex") == [
        f"invoice NF-1 (1000 cents) added to order {ORDER_ID}",
        f"invoice NF-2 (1000 cents) added to order {ORDER_ID}; order {ORDER_ID} invoiced",
    ]


def test_an_invoice_above_what_is_left_to_invoice_is_rejected_with_vtexs_message(adapter, order, sale):
    adapter.push(sale(number="NF-1", lines=sale_lines(quantity="1")), SEND)
    too_much = sale(number="NF-2", lines=sale_lines(quantity="2"))

    with pytest.raises(RejectedError) as refused:
        adapter.push(too_much, SEND)

    error = refused.value
    assert error.status_code == 400
    assert error.provider_code == "1"
    assert error.message == f"The invoice value (2000) exceeds the value left to invoice on order {ORDER_ID} (1000)."
    assert error.exchanges
    assert error.exchanges[-1].status_code == 400
    assert len(effects("vtex")) == 1


def test_resending_the_same_invoice_number_only_issues_a_new_receipt(adapter, order, sale):
    invoice = sale(number="NF-7")

    first = adapter.push(invoice, SEND)
    again = adapter.push(invoice, SEND)

    assert again.ok
    assert again.data["receipt"] != first.data["receipt"]
    assert len(order_state(ORDER_ID)["packageAttachment"]["packages"]) == 1
    assert len(effects("vtex")) == 1


def test_an_invoice_for_an_unknown_order_is_rejected(adapter, vtex_account, sale):
    with pytest.raises(RejectedError) as refused:
        adapter.push(sale(order_id="404-01"), SEND)

    assert (refused.value.status_code, refused.value.message) == (404, "Order 404-01 not found.")


def test_a_canceled_order_cannot_be_invoiced(adapter, vtex_account, sale):
    seed_order("55-01", 2000, status="canceled")

    with pytest.raises(RejectedError, match=r"Order 55-01 is canceled and cannot be invoiced\."):
        adapter.push(sale(order_id="55-01"), SEND)


def test_a_return_invoice_is_refused_before_sending_until_the_order_is_fully_invoiced(adapter, order, sale):
    # given an order invoiced for half its value
    adapter.push(sale(number="NF-1", lines=sale_lines(quantity="1")), SEND)
    give_back = sale(number="RET-1", invoice_type="return", lines=sale_lines(quantity="1"))

    # when
    with pytest.raises(RejectedError) as refused:
        adapter.push(give_back, SEND)

    # then the order was read, and nothing was sent
    assert "accepted only after the order is fully invoiced" in refused.value.message
    assert "1000 of 2000 cents invoiced" in refused.value.message
    assert [e.method for e in refused.value.exchanges] == ["GET"]
    assert not SandboxRequest.objects.filter(kind="vtex", path__endswith="/invoice", body__contains="RET-1").exists()


def test_a_return_invoice_after_full_invoicing_is_sent_as_input_and_refunds(adapter, order, sale):
    adapter.push(sale(number="NF-1"), SEND)
    give_back = sale(number="RET-1", invoice_type="return", lines=sale_lines(quantity="1"))

    previewed = adapter.preview(give_back, SEND)
    result = adapter.push(give_back, SEND)

    assert [r.method for r in previewed] == [e.method for e in result.exchanges] == ["GET", "POST"]
    assert json.loads(previewed[1].body)["type"] == "Input"
    assert result.ok
    assert result.data["type"] == "Input"
    assert effects("vtex")[-1] == f"return invoice RET-1 (1000 cents) added to order {ORDER_ID}: refund of 1000 cents"
    assert order_state(ORDER_ID)["status"] == "invoiced"


def test_voiding_a_draft_that_never_reached_vtex_sends_nothing(adapter, order, sale):
    invoice = sale(status="void")
    drop = Change(Operation.PUSH, idempotency_key="void-1", to_status="void", from_status="draft")

    assert adapter.preview(invoice, drop) == []
    result = adapter.push(invoice, drop)

    assert result.ok
    assert result.exchanges == ()
    assert not SandboxRequest.objects.filter(kind="vtex").exists()


@pytest.mark.parametrize("to_status", ["void", "paid", "uncollectible", "refunded"])
def test_moving_an_invoiced_order_is_refused_without_sending(adapter, order, sale, to_status):
    move = replace(SEND, to_status=to_status, from_status="open")

    with pytest.raises(RejectedError, match="VTEX: an invoiced order's status cannot change"):
        adapter.push(sale(status=to_status), move)

    assert not SandboxRequest.objects.filter(kind="vtex").exists()


def test_pushing_a_draft_says_vtex_has_no_drafts_and_sends_nothing(adapter, order, sale):
    as_it_stands = Change(Operation.PUSH, idempotency_key="draft-1", to_status="draft")

    with pytest.raises(RejectedError, match="VTEX has no draft invoices"):
        adapter.preview(sale(), as_it_stands)

    assert not SandboxRequest.objects.filter(kind="vtex").exists()


def test_a_fractional_quantity_is_refused_before_sending(adapter, order, sale):
    with pytest.raises(RejectedError, match=r"line 1 has a fractional quantity \(1\.500\)"):
        adapter.push(sale(lines=sale_lines(quantity="1.5")), SEND)

    assert not SandboxRequest.objects.filter(kind="vtex").exists()
