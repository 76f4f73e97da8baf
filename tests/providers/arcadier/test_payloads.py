"""The payload mapping: our invoice data to Arcadier's exact bodies, and its answers back (no network)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from providers.arcadier import payloads
from providers.jsonnumbers import dumps_compact, loads_decimal
from tests.providers.arcadier.support import an_invoice, an_order, guid, seed_payments

PAID_AT = dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC)


def test_a_push_body_has_one_payment_per_order_in_arcadier_field_order() -> None:
    first, second = an_order(), an_order(gateway={})
    invoice = an_invoice(orders=(first, second))

    body = payloads.payments_body(invoice, "open")

    assert [item["Order"]["ID"] for item in body] == [first.order_id, second.order_id]
    assert list(body[0]) == [
        "InvoiceNo",
        "Payee",
        "Payer",
        "Order",
        "Total",
        "Fee",
        "Status",
        "Gateway",
        "GatewayTransactionID",
        "DateTimePaid",
    ]
    assert body[0]["Payee"] == {"ID": first.payee_ref}
    assert body[0]["Payer"] == {"ID": first.payer_ref}
    assert body[0]["Gateway"] == {"Code": "stripe"}
    assert "Gateway" not in body[1]


def test_the_invoice_number_is_arcadiers_number_or_else_ours() -> None:
    assert payloads.invoice_no(an_invoice(remote_number="AR-9")) == "AR-9"
    assert payloads.invoice_no(an_invoice(remote_number="", number="INV-42")) == "INV-42"
    body = payloads.payments_body(an_invoice(remote_number="", number="INV-42"), "open")
    assert {item["InvoiceNo"] for item in body} == {"INV-42"}


def test_amounts_are_rounded_to_the_currency_and_written_as_exact_json_numbers() -> None:
    order = an_order(amount=Decimal("12.505"), fee=Decimal("0.1"))
    body = payloads.payments_body(an_invoice(orders=(order,)), "paid")

    assert body[0]["Total"] == Decimal("12.51")
    assert body[0]["Fee"] == Decimal("0.10")
    assert '"Total":12.51,"Fee":0.10,' in dumps_compact(body)


def test_amounts_in_a_currency_without_minor_units_have_no_decimals() -> None:
    order = an_order(amount=Decimal("1250.4"), fee=None)
    body = payloads.payments_body(an_invoice(currency="JPY", orders=(order,)), "paid")

    assert '"Total":1250,' in dumps_compact(body)
    assert "Fee" not in body[0]


def test_orders_without_amounts_leave_them_to_arcadier() -> None:
    body = payloads.payments_body(an_invoice(orders=(an_order(amount=None, fee=None),)), "paid")
    assert "Total" not in body[0]
    assert "Fee" not in body[0]


@pytest.mark.parametrize(
    ("status", "word"),
    [("open", "Waiting For Payment"), ("paid", "Success"), ("refunded", "Refunded"), ("void", "Failed")],
)
def test_the_payment_status_word_follows_the_pushed_status(status: str, word: str) -> None:
    body = payloads.payments_body(an_invoice(), status)
    assert {item["Status"] for item in body} == {word}


def test_a_refund_is_flagged_with_its_reference() -> None:
    order = an_order(gateway={"Code": "stripe", "RefundedRef": "re_9"})
    item = payloads.payments_body(an_invoice(orders=(order,)), "refunded")[0]
    assert item["Refunded"] is True
    assert item["RefundedRef"] == "re_9"
    assert list(item).index("Refunded") == list(item).index("Status") + 1


def test_every_gateway_field_is_sent_under_arcadiers_name() -> None:
    gateway = {
        "Code": "paypal",
        "PayKey": "pk",
        "TransactionID": "tx",
        "Status": "COMPLETED",
        "TimeStamp": "2026-11-05T09:30:00Z",
        "GatewayRef": "ref",
    }
    item = payloads.payments_body(an_invoice(orders=(an_order(gateway=gateway),)), "paid")[0]

    assert item["Gateway"] == {"Code": "paypal"}
    assert [k for k in item if k.startswith("Gateway") and k != "Gateway"] == [
        "GatewayPayKey",
        "GatewayTransactionID",
        "GatewayStatus",
        "GatewayTimeStamp",
        "GatewayRef",
    ]
    assert item["GatewayRef"] == "ref"


def test_date_time_paid_is_unix_seconds_of_the_order_or_the_invoice_payment() -> None:
    from_order = payloads.payments_body(an_invoice(orders=(an_order(paid_at=PAID_AT),)), "paid")[0]
    from_invoice = payloads.payments_body(an_invoice(paid_at=PAID_AT, orders=(an_order(),)), "paid")[0]
    unpaid = payloads.payments_body(an_invoice(paid_at=PAID_AT, orders=(an_order(),)), "open")[0]

    assert from_order["DateTimePaid"] == int(PAID_AT.timestamp())
    assert from_invoice["DateTimePaid"] == int(PAID_AT.timestamp())
    assert unpaid["DateTimePaid"] == 0


def test_an_invoice_equivalent_to_the_seed_example_produces_its_exact_body() -> None:
    # given the seed's two orders, with our own GUIDs in place of its zeros
    seed = seed_payments()
    orders = tuple(an_order(amount=None, fee=None, gateway={"Code": "string"}) for _ in seed)
    invoice = an_invoice(remote_number="000000000000", orders=orders)
    expected = json.loads(json.dumps(seed))
    for item, order in zip(expected, orders, strict=True):
        item["Payee"]["ID"], item["Payer"]["ID"], item["Order"]["ID"] = (
            order.payee_ref,
            order.payer_ref,
            order.order_id,
        )

    # when
    body = dumps_compact(payloads.payments_body(invoice, "open"))

    # then
    assert body == json.dumps(expected, separators=(",", ":"))


def test_the_email_body_names_the_invoice() -> None:
    assert dumps_compact(payloads.email_body(an_invoice(remote_number="AR-7"))) == (
        '{"Type":"invoice","InvoiceNo":"AR-7"}'
    )


def test_the_token_request_asks_for_an_admin_token_by_client_credentials() -> None:
    form = payloads.token_form({"client_id": "id", "client_secret": "secret"})
    assert form == {
        "client_id": "id",
        "client_secret": "secret",
        "grant_type": "client_credentials",
        "scope": "admin",
    }


def test_a_payments_answer_maps_back_to_our_fields() -> None:
    order_id = guid()
    paid_at = int(PAID_AT.timestamp())
    answer = loads_decimal(
        f'[{{"InvoiceNo":"AR-1","Order":{{"ID":"{order_id}","PaymentStatus":"Paid"}},"Total":12.50,"Fee":0.5,'
        f'"Status":"Success","DateTimePaid":{paid_at}}}]'
    )

    state = payloads.read_payments(answer, "AR-1")

    assert state.invoice_no == "AR-1"
    assert state.status == "paid"
    assert state.remote_status == "Paid"
    (order,) = state.orders
    assert (order.order_id, order.total, order.fee, order.paid_at) == (
        order_id,
        Decimal("12.50"),
        Decimal("0.5"),
        PAID_AT,
    )
    assert state.as_data()["orders"][0]["total"] == "12.50"


def test_a_payments_answer_without_order_statuses_is_read_from_the_payment_status() -> None:
    answer = [{"InvoiceNo": "AR-1", "Order": {"ID": guid()}, "Status": "Waiting For Payment", "DateTimePaid": 0}]
    state = payloads.read_payments(answer, "AR-1")
    assert state.status == "open"
    assert state.orders[0].payment_status == "Waiting for Payment"
    assert state.orders[0].paid_at is None


def test_a_transaction_maps_back_to_our_fields() -> None:
    answer = loads_decimal(
        '{"InvoiceNo":"AR-1","CurrencyCode":"SGD","Orders":['
        '{"ID":"a","PaymentStatus":"Refunded","GrandTotal":10.00,"PaymentDetails":[{"Fee":1.00,"DateTimePaid":0}]},'
        '{"ID":"b","PaymentStatus":"Refunded","GrandTotal":5,"PaymentDetails":[]}]}'
    )

    state = payloads.read_transaction(answer)

    assert state.status == "refunded"
    assert state.currency == "SGD"
    assert [o.total for o in state.orders] == [Decimal("10.00"), Decimal("5")]
    assert state.orders[0].fee == Decimal("1.00")


@pytest.mark.parametrize("answer", [{"Orders": "none"}, [], "text", {"InvoiceNo": "AR-1"}])
def test_a_transaction_of_another_shape_is_unreadable(answer: object) -> None:
    with pytest.raises(payloads.UnreadableAnswer):
        payloads.read_transaction(answer)


@pytest.mark.parametrize("answer", [{"InvoiceNo": "AR-1"}, [1], [{"Order": "x"}], [{"Order": {}, "Total": "1"}]])
def test_a_payments_answer_of_another_shape_is_unreadable(answer: object) -> None:
    with pytest.raises(payloads.UnreadableAnswer):
        payloads.read_payments(answer, "AR-1")


def test_a_token_answer_gives_the_token_its_admin_and_lifetime() -> None:
    answer = {
        "access_token": "tok-value-0001",
        "token_type": "bearer",
        "expires_in": 10799,
        "refresh_token": "refresh-0001",
        "UserId": "7407370c-7c4c-48cd-ad7f-a4b21e024b41",
    }

    token = payloads.read_token(answer)

    assert (token.access_token, token.admin_id, token.expires_in) == (
        "tok-value-0001",
        "7407370c-7c4c-48cd-ad7f-a4b21e024b41",
        10799.0,
    )
    assert "tok-value-0001" not in repr(token)
    assert "refresh-0001" not in repr(token)


@pytest.mark.parametrize("answer", [{"access_token": "t"}, {"UserId": "u"}, {"access_token": 1, "UserId": "u"}, ["t"]])
def test_a_token_answer_without_token_or_admin_is_unreadable(answer: object) -> None:
    with pytest.raises(payloads.UnreadableAnswer):
        payloads.read_token(answer)
