"""Every Arcadier operation against the sandbox over real HTTP, and the answers mapped back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from invoices.selectors import invoice_data
from providers.arcadier.adapter import ArcadierAdapter
from providers.base import ProviderAdapter
from providers.models import ProviderAccount
from providers.sandbox.arcadier import admin_id, seed_transaction, sent_emails, transaction_state
from tests.providers.arcadier.support import calls, checked_out, email, push
from tests.providers.faults import effects


def test_the_connection_test_obtains_an_admin_token(adapter: ProviderAdapter) -> None:
    message = adapter.test_connection()

    assert admin_id() in message
    assert calls() == [("POST", "/token", 200)]


def test_the_adapter_is_the_registered_one_for_arcadier_accounts(adapter: ProviderAdapter) -> None:
    assert isinstance(adapter, ArcadierAdapter)


@pytest.mark.parametrize(
    ("to_status", "order_status"),
    [("open", "Waiting for Payment"), ("paid", "Paid"), ("refunded", "Refunded"), ("void", "Failed")],
)
def test_a_push_sets_every_order_payment_status_and_maps_the_answer_back(
    account: ProviderAccount, adapter: ProviderAdapter, to_status: str, order_status: str
) -> None:
    # given
    invoice = checked_out(account, status=to_status)

    # when
    result = adapter.push(invoice_data(invoice), push(to_status))

    # then
    assert result.ok
    assert result.status == to_status
    assert result.remote_status == order_status
    assert result.remote_number == invoice.remote_number
    state = transaction_state(invoice.remote_number)
    assert state is not None
    assert [o["PaymentStatus"] for o in state["Orders"]] == [order_status, order_status]
    assert [o["order_id"] for o in result.data["orders"]] == invoice.order_ids
    assert [e.method for e in result.exchanges] == ["POST", "PUT"]
    assert calls() == [
        ("POST", "/token", 200),
        ("PUT", f"/api/v2/admins/{admin_id()}/invoices/{invoice.remote_number}", 200),
    ]


def test_a_paid_push_comes_back_with_the_amounts_and_payment_date(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, status="paid")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    result = adapter.push(invoice_data(invoice), push("paid"))

    for order in result.data["orders"]:
        assert (order["total"], order["fee"]) == ("12.50", "0.50")
        assert dt.datetime.fromisoformat(order["paid_at"]) >= before


def test_pushing_the_same_status_twice_applies_it_once(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account, status="paid", orders=1)
    data = invoice_data(invoice)

    first = adapter.push(data, push("paid", key="k1"))
    again = adapter.push(data, push("paid", key="k1"))

    assert first.status == again.status == "paid"
    order_id = invoice.order_ids[0]
    assert [e for e in effects("arcadier") if "order" in e] == [
        f"invoice {invoice.remote_number}: order {order_id} PaymentStatus Pending -> Paid"
    ]


def test_a_later_status_replaces_the_earlier_one(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account, status="paid", orders=1)
    adapter.push(invoice_data(invoice), push("paid"))

    result = adapter.push(invoice_data(invoice), push("refunded"))

    assert result.status == "refunded"
    assert effects("arcadier")[-1].endswith("PaymentStatus Paid -> Refunded")


def test_the_remote_state_is_read_back_with_every_order(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account, status="paid")
    adapter.push(invoice_data(invoice), push("paid"))

    remote = adapter.fetch_remote(invoice_data(invoice))

    assert remote.exists
    assert remote.status == "paid"
    assert remote.remote_status == "Paid"
    assert remote.data["invoice_no"] == invoice.remote_number
    assert remote.data["currency"] == "USD"
    assert [o["order_id"] for o in remote.data["orders"]] == invoice.order_ids
    assert {o["total"] for o in remote.data["orders"]} == {"12.50"}
    assert remote.exchanges[-1].method == "GET"


def test_a_checked_out_invoice_not_yet_paid_reads_back_as_open(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, status="open")

    remote = adapter.fetch_remote(invoice_data(invoice))

    assert (remote.exists, remote.status, remote.remote_status) == (True, "open", "Pending")


def test_an_invoice_unknown_to_arcadier_reads_back_as_missing(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, seed=False)

    remote = adapter.fetch_remote(invoice_data(invoice))

    assert remote.exists is False
    assert remote.exchanges[-1].status_code == 404


def test_the_invoice_email_is_sent_by_arcadier(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account)

    result = adapter.execute(invoice_data(invoice), email())

    assert result.ok
    assert result.remote_number == invoice.remote_number
    assert len(sent_emails(invoice.remote_number)) == 1
    assert effects("arcadier")[-1] == f"invoice email sent for {invoice.remote_number}"
    assert calls()[-1] == ("POST", "/api/v2/emails", 200)


def test_an_invoice_without_a_remote_number_uses_our_number(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account, remote_number="", seed=False)
    data = invoice_data(invoice)
    seed_transaction(
        invoice.number,
        orders=[
            {
                "order_id": o.order_id,
                "payee_id": o.payee_ref,
                "payer_id": o.payer_ref,
                "total": Decimal("12.50"),
            }
            for o in data.orders
        ],
    )

    result = adapter.push(data, push("open"))

    assert result.remote_number == invoice.number
