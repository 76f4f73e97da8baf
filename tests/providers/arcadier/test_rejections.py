"""Arcadier's refusals: the right error class, with Arcadier's own message and code kept."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from invoices.lifecycle import IllegalTransition
from invoices.selectors import invoice_data
from providers.base import ProviderAdapter, RejectedError
from providers.models import ProviderAccount
from providers.sandbox.arcadier import admin_id, issue_token, seed_transaction, transaction_state
from tests.providers.arcadier.support import calls, checked_out, email, guid, push
from tests.providers.faults import effects


def raw(account: ProviderAccount, method: str, path: str, body: Any) -> requests.Response:
    token = issue_token()["access_token"]
    return requests.request(
        method,
        f"{account.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_an_invoice_arcadier_does_not_know_is_rejected_with_its_404(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, seed=False)

    with pytest.raises(RejectedError) as excinfo:
        adapter.push(invoice_data(invoice), push("open"))

    error = excinfo.value
    assert error.status_code == 404
    assert error.provider_code == "INVOICE_NOT_FOUND"
    assert error.message == f"No invoice {invoice.remote_number} was found."
    assert [e.method for e in error.exchanges] == ["POST", "PUT"]


def test_an_order_that_is_not_part_of_the_invoice_is_rejected(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    # given Arcadier knows the invoice with another order than ours
    invoice = checked_out(account, seed=False)
    seed_transaction(invoice.remote_number, orders=[{"order_id": guid(), "payee_id": guid(), "payer_id": guid()}])

    with pytest.raises(RejectedError) as excinfo:
        adapter.push(invoice_data(invoice), push("open"))

    assert excinfo.value.status_code == 400
    assert excinfo.value.provider_code == "ORDER_NOT_IN_INVOICE"
    assert f"order {invoice.order_ids[0]} is not part of invoice {invoice.remote_number}" in excinfo.value.message
    assert effects("arcadier") == ["admin token issued"]


def test_an_order_id_that_is_not_a_guid_is_rejected_by_arcadier_and_by_our_rules(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account)
    invoice.orders.filter(pk=invoice.orders.first().pk).update(order_id="ORDER-1")  # type: ignore[union-attr]
    data = invoice_data(invoice)

    with pytest.raises(RejectedError) as excinfo:
        adapter.push(data, push("open"))

    assert excinfo.value.provider_code == "INVALID_GUID"
    assert excinfo.value.message == "Payment 1: Order.ID 'ORDER-1' is not a valid GUID."
    with pytest.raises(IllegalTransition, match="is not one"):
        type(adapter).check_transition(data, "open")


def test_the_invoice_email_for_an_unknown_invoice_is_rejected(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, seed=False)

    with pytest.raises(RejectedError) as excinfo:
        adapter.send_email(invoice_data(invoice), email())

    assert (excinfo.value.status_code, excinfo.value.provider_code) == (404, "INVOICE_NOT_FOUND")
    assert not [e for e in effects("arcadier") if e.startswith("invoice email")]


def test_a_draft_is_never_sent_to_arcadier(account: ProviderAccount, adapter: ProviderAdapter) -> None:
    invoice = checked_out(account, status="draft")

    with pytest.raises(RejectedError, match="Arcadier has no 'Draft' state"):
        adapter.push(invoice_data(invoice), push("draft"))

    assert calls() == []


def test_an_invoice_without_orders_is_never_sent_to_arcadier(
    account: ProviderAccount, adapter: ProviderAdapter
) -> None:
    invoice = checked_out(account, orders=0, seed=False)

    with pytest.raises(RejectedError, match="tie up orders"):
        adapter.push(invoice_data(invoice), push("open"))

    assert calls() == []


# -- the emulator's validation, seen raw ---------------------------------------------------------------------
def an_order_payment(invoice_no: str, order_id: str, **overrides: Any) -> dict[str, Any]:
    return {"InvoiceNo": invoice_no, "Order": {"ID": order_id}, "Status": "Success", **overrides}


@pytest.mark.parametrize(
    ("payment", "code"),
    [
        ({"Status": "Teleported"}, "INVALID_STATUS"),
        ({"Status": None}, "INVALID_STATUS"),
        ({"Payee": {"ID": "merchant-7"}}, "INVALID_GUID"),
        ({"Payer": {"ID": 42}}, "INVALID_GUID"),
        ({"InvoiceNo": "SOMEONE-ELSE"}, "INVOICE_MISMATCH"),
        ({"Total": "12.50"}, "INVALID_AMOUNT"),
        ({"Fee": -1}, "INVALID_AMOUNT"),
        ({"DateTimePaid": "yesterday"}, "INVALID_DATE"),
        ({"Refunded": "yes"}, "INVALID_PAYMENT"),
    ],
)
def test_a_payment_arcadier_cannot_read_is_refused_whole(
    account: ProviderAccount, payment: dict[str, Any], code: str
) -> None:
    invoice = checked_out(account, orders=1)
    order_id = invoice.order_ids[0]
    good = an_order_payment(invoice.remote_number, order_id)
    bad = an_order_payment(invoice.remote_number, order_id, **payment)

    response = raw(account, "PUT", f"/api/v2/admins/{admin_id()}/invoices/{invoice.remote_number}", [good, bad])

    assert response.status_code == 400
    assert response.json()["Code"] == code
    assert response.json()["Message"].startswith("Payment 2:")
    assert transaction_state(invoice.remote_number)["Orders"][0]["PaymentStatus"] == "Pending"  # type: ignore[index]


@pytest.mark.parametrize("body", [{"Status": "Success"}, [], "text"])
def test_a_body_that_is_not_an_array_of_payments_is_refused(account: ProviderAccount, body: Any) -> None:
    invoice = checked_out(account, orders=1)

    response = raw(account, "PUT", f"/api/v2/admins/{admin_id()}/invoices/{invoice.remote_number}", body)

    assert (response.status_code, response.json()["Code"]) == (400, "INVALID_BODY")


def test_an_email_of_another_type_is_refused(account: ProviderAccount) -> None:
    invoice = checked_out(account)

    response = raw(account, "POST", "/api/v2/emails", {"Type": "welcome", "InvoiceNo": invoice.remote_number})

    assert (response.status_code, response.json()["Code"]) == (400, "INVALID_EMAIL_TYPE")


def test_other_methods_are_not_allowed_on_the_invoice_path(account: ProviderAccount) -> None:
    response = raw(account, "DELETE", f"/api/v2/admins/{admin_id()}/invoices/AR-1", None)

    assert response.status_code == 405
    assert response.headers["Allow"] == "PUT, POST"
