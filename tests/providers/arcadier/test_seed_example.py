"""The seed document's example body: Arcadier (the sandbox) accepts it unchanged, and the adapter produces it
from an equivalent invoice."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from invoices.selectors import invoice_data
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox.arcadier import admin_id, seed_transaction, transaction_state
from providers.sandbox.credentials import sandbox_credentials
from tests.factories import make_invoice
from tests.providers.arcadier.support import guid, push, seed_payments

ZERO = "00000000-0000-0000-0000-000000000000"


def admin_token(account: ProviderAccount) -> str:
    credentials = sandbox_credentials("arcadier")
    form = {**credentials, "grant_type": "client_credentials", "scope": "admin"}
    response = requests.post(f"{account.base_url}/token", data=form, timeout=5)
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_the_seed_example_is_accepted_unchanged(account: ProviderAccount, method: str) -> None:
    # given the checked-out invoice the example names (its zero GUIDs are one order, payee and payer)
    seed_transaction("000000000000", orders=[{"order_id": ZERO, "payee_id": ZERO, "payer_id": ZERO, "total": "10"}])
    body = json.dumps(seed_payments())

    # when
    response = requests.request(
        method,
        f"{account.base_url}/api/v2/admins/{admin_id()}/invoices/000000000000",
        data=body,
        headers={"Authorization": f"Bearer {admin_token(account)}", "Content-Type": "application/json"},
        timeout=5,
    )

    # then
    assert response.status_code == 200, response.text
    assert [p["Order"]["PaymentStatus"] for p in response.json()] == ["Waiting for Payment"] * 2
    state = transaction_state("000000000000")
    assert state is not None
    assert state["Orders"][0]["PaymentStatus"] == "Waiting for Payment"


def test_the_adapter_sends_the_seed_example_for_an_equivalent_invoice(sandbox_account: Any) -> None:
    # given an invoice with the example's two orders, each with its own GUIDs
    account = sandbox_account("arcadier")
    specs = [
        {"order_id": guid(), "payee_ref": guid(), "payer_ref": guid(), "gateway": {"Code": "string"}} for _ in "ab"
    ]
    invoice = make_invoice(account=account, status="open", orders=specs, remote_number="000000000000")
    seed_transaction(
        "000000000000",
        orders=[{"order_id": s["order_id"], "payee_id": s["payee_ref"], "payer_id": s["payer_ref"]} for s in specs],
    )
    expected = seed_payments()
    for item, spec in zip(expected, specs, strict=True):
        item["Payee"]["ID"], item["Payer"]["ID"], item["Order"]["ID"] = (
            spec["payee_ref"],
            spec["payer_ref"],
            spec["order_id"],
        )

    # when
    result = adapter_for(account).push(invoice_data(invoice), push("open"))

    # then the body sent is the example's, ids aside, and Arcadier accepted it
    sent = result.exchanges[-1]
    assert sent.request_body == json.dumps(expected, separators=(",", ":"))
    assert sent.status_code == 200
    assert result.status == "open"
