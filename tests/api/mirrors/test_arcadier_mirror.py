"""The Arcadier mirror's pure mapping (providers/arcadier/mirror.py): the wrapper's body read as Arcadier reads it,
the payments applied to our orders, and Arcadier's answers. No database, no network."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from providers.arcadier import mirror
from tests.providers.arcadier.support import an_invoice, an_order, guid, seed_payments

ZERO = "00000000-0000-0000-0000-000000000000"


def item(order_id: str, **fields: Any) -> dict[str, Any]:
    return {"Order": {"ID": order_id}, "Status": "Success", **fields}


def test_the_token_is_read_from_the_wrappers_body() -> None:
    assert mirror.body_token(json.dumps({"token": " abc ", "data": []}).encode()) == "abc"
    assert mirror.body_token(b'{"data": []}') is None
    assert mirror.body_token(b'{"token": 7}') is None
    assert mirror.body_token(b"not json") is None
    assert mirror.body_token(b"\xff\xfe") is None


def test_the_wrappers_example_reads_as_two_offline_payments_of_one_order() -> None:
    order = an_order(order_id=ZERO, payee_ref=ZERO, payer_ref=ZERO)

    payments = mirror.read_payments({"data": seed_payments()}, [order], ("000000000000",))

    assert [p.payment_status for p in payments] == ["Waiting for Payment"] * 2
    assert payments[0].gateway == {"Code": "string"}
    assert payments[0].paid_at is None


def test_payment_words_are_read_whatever_their_case_and_refunded_wins() -> None:
    orders = [an_order(), an_order(), an_order()]
    data = [
        item(orders[0].order_id, Status="waiting for PAYMENT"),
        item(orders[1].order_id, Status="Success", Refunded=True, RefundedRef="re_1"),
        # the wrapper's page spells the field PaymentStatus in its tip
        {"Order": {"ID": orders[2].order_id}, "PaymentStatus": "Waiting For Payment"},
    ]

    payments = mirror.read_payments({"data": data}, orders, ("AR-1",))

    assert [p.payment_status for p in payments] == ["Waiting for Payment", "Refunded", "Waiting for Payment"]
    assert payments[1].gateway == {"RefundedRef": "re_1"}


def test_amounts_dates_and_gateway_fields_are_read_exactly() -> None:
    order = an_order()
    data = [
        item(
            order.order_id,
            Total=Decimal("12.50"),
            Fee=1,
            DateTimePaid=1767225600,
            Gateway={"Code": "stripe"},
            GatewayTransactionID="ch_9",
            GatewayPayKey=123,
        )
    ]

    (payment,) = mirror.read_payments({"data": data}, [order], ("AR-1",))

    assert (payment.total, payment.fee) == (Decimal("12.50"), Decimal("1"))
    assert payment.paid_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert payment.gateway == {"Code": "stripe", "TransactionID": "ch_9", "PayKey": "123"}


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ([item(ZERO)], "INVALID_BODY"),
        ({"data": []}, "INVALID_BODY"),
        ({"data": [None]}, "INVALID_PAYMENT"),
        ({"data": [item(ZERO, InvoiceNo=1)]}, "INVOICE_MISMATCH"),
        ({"data": [{"Status": "Success"}]}, "INVALID_GUID"),
        ({"data": [item(ZERO, Payee={"ID": "x"})]}, "INVALID_GUID"),
        ({"data": [item(guid())]}, "ORDER_NOT_IN_INVOICE"),
        ({"data": [item(ZERO, Status=1)]}, "INVALID_STATUS"),
        ({"data": [item(ZERO, DateTimePaid=-1)]}, "INVALID_DATE"),
        ({"data": [item(ZERO, DateTimePaid=True)]}, "INVALID_DATE"),
        ({"data": [item(ZERO, Fee="1")]}, "INVALID_AMOUNT"),
        ({"data": [item(ZERO, Total=False)]}, "INVALID_AMOUNT"),
    ],
)
def test_a_payments_array_arcadier_would_refuse_is_refused_with_its_code(document: Any, code: str) -> None:
    with pytest.raises(mirror.Refusal) as refused:
        mirror.read_payments(document, [an_order(order_id=ZERO)], ("AR-1",))

    assert (refused.value.status, refused.value.code) == (400, code)


def test_payments_update_their_orders_and_a_later_payment_for_the_same_order_wins() -> None:
    first = an_order(payee_ref="")
    second = an_order(gateway={"Code": "stripe", "TransactionID": "ch_1"})
    payee = guid()
    payments = [
        mirror.Payment(position=1, order_id=first.order_id.upper(), payment_status="Pending", payee_id=payee),
        mirror.Payment(position=2, order_id=first.order_id, payment_status="Paid", total=Decimal("3")),
        mirror.Payment(position=3, order_id=second.order_id, payment_status="Paid", gateway={"TransactionID": "ch_2"}),
    ]

    orders = mirror.apply_payments(payments, [first, second])

    assert [o["payment_status"] for o in orders] == ["Paid", "Paid"]
    assert orders[0]["payee_ref"] == payee  # an order without a payee learns it
    assert orders[0]["amount"] == Decimal("3")
    assert orders[1]["gateway"] == {"Code": "stripe", "TransactionID": "ch_2"}


def test_a_payment_naming_another_payer_is_refused() -> None:
    order = an_order()
    payment = mirror.Payment(position=1, order_id=order.order_id, payment_status="Paid", payer_id=guid())

    with pytest.raises(mirror.Refusal) as refused:
        mirror.apply_payments([payment], [order])

    assert refused.value.code == "PAYER_MISMATCH"


@pytest.mark.parametrize(
    ("words", "status"),
    [
        (["Paid", "Paid"], "paid"),
        (["Waiting for Payment", "Pending"], "open"),
        (["Refunded"], "refunded"),
        (["Failed", "Failed"], "void"),
    ],
)
def test_the_invoice_status_follows_its_orders(words: list[str], status: str) -> None:
    assert mirror.target_status([{"payment_status": word} for word in words]) == status


def test_orders_left_in_different_states_are_refused() -> None:
    with pytest.raises(mirror.Refusal) as refused:
        mirror.target_status([{"payment_status": "Paid"}, {"payment_status": "Waiting for Payment"}])

    assert refused.value.code == "MIXED_PAYMENT_STATUSES"


def test_the_answer_is_one_payment_per_item_sent_with_what_arcadier_reported() -> None:
    first, second = an_order(), an_order()
    invoice = an_invoice(status="paid", orders=(first, second))
    sent = [mirror.Payment(position=1, order_id=second.order_id, payment_status="Paid")]
    reported = {
        "invoice_no": "AR-000123",
        "orders": [
            {"order_id": first.order_id, "payment_status": "Paid", "total": "1.00", "fee": "0", "paid_at": None},
            {
                "order_id": second.order_id,
                "payment_status": "Paid",
                "total": "12.50",
                "fee": "0.50",
                "paid_at": "2026-01-01T00:00:00+00:00",
            },
        ],
    }

    (answer,) = mirror.payments_answer(sent, invoice, reported)

    assert answer["Order"] == {"ID": second.order_id, "PaymentStatus": "Paid"}
    assert (answer["Total"], answer["Fee"]) == (Decimal("12.50"), Decimal("0.50"))
    assert answer["DateTimePaid"] == 1767225600
    assert (answer["Status"], answer["CurrencyCode"], answer["InvoiceNo"]) == ("Success", "USD", "AR-000123")
    assert answer["Gateway"] == {"Code": "stripe"}
    assert answer["GatewayTransactionID"] == "ch_123"


def test_the_queued_answer_shows_the_orders_as_the_push_will_leave_them_and_names_the_delivery() -> None:
    # an open invoice: its push gives every order Arcadier's "Waiting for Payment", whatever was recorded
    order = dataclasses.replace(an_order(), payment_status="Pending")
    invoice = an_invoice(status="open", orders=(order,))
    sent = [mirror.Payment(position=1, order_id=order.order_id, payment_status="Pending")]

    (answer,) = mirror.queued_answer(mirror.payments_answer(sent, invoice), 42)

    assert answer["Order"]["PaymentStatus"] == "Waiting for Payment"
    assert answer["Status"] == "Waiting For Payment"
    assert answer["DeliveryID"] == 42
    assert answer["Total"] == Decimal("12.50")


def test_errors_are_arcadiers_message_and_code() -> None:
    assert mirror.error_body("INVALID_GUID", "bad") == {"Message": "bad", "Code": "INVALID_GUID"}
    assert mirror.email_sent() == {"Result": True}
    assert mirror.email_queued(7) == {"Result": True, "DeliveryID": 7}
