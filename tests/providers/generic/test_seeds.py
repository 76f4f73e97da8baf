"""The seed document's examples against the sandbox, and the adapter producing the full one."""

from __future__ import annotations

from typing import Any

import requests

from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.registry import adapter_for
from providers.sandbox import generic as sandbox
from providers.sandbox.credentials import sandbox_credentials

from .conftest import SEEDS, invoice_like_the_full_seed, seed_body

PUSH = Change(Operation.PUSH, "idem-1")


def put_raw(sandbox_url: str, body: bytes) -> requests.Response:
    token = sandbox_credentials("generic")["token"]
    return requests.put(
        f"{sandbox_url}/generic/api/v1/Invoice/Update",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_the_seeds_full_update_body_is_accepted_as_written(sandbox_url: str, transactional_db: None) -> None:
    # given the invoice the example updates
    seed = seed_body("generic_update_full.json")
    sandbox.seed_invoice(
        seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
    )

    # when the example is sent byte for byte, indentation and all
    response = put_raw(sandbox_url, (SEEDS / "generic_update_full.json").read_bytes())

    # then
    assert response.status_code == 200
    answer = loads_decimal(response.text)
    assert answer["succeeded"] is True
    assert answer["data"]["invoiceId"] == seed["id"]
    assert str(answer["data"]["amount"]) == "136.29"


def test_the_adapter_produces_the_seeds_full_body_from_an_equivalent_invoice(generic_account: Any) -> None:
    account = generic_account()
    invoice = invoice_like_the_full_seed(account)

    [request] = adapter_for(account).preview(invoice_data(invoice), PUSH)

    body = loads_decimal(request.body)
    # our status travels beside the documented body (see providers/generic/status.py)
    assert body.pop("status") == "Pending"
    assert dumps_compact(body) == dumps_compact(seed_body("generic_update_full.json"))


def test_the_seeds_short_example_does_not_fit_the_documented_model_and_is_refused(
    sandbox_url: str, transactional_db: None
) -> None:
    # The short example ("invoiceId", "counterpartyId", a string currency) contradicts the UpdateInvoice
    # schema the same page documents: an API that binds that schema cannot accept it.
    response = put_raw(sandbox_url, (SEEDS / "generic_update_short.json").read_bytes())

    assert response.status_code == 400
    answer = response.json()
    assert answer["succeeded"] is False
    assert "$.id: the id field is required." in answer["errors"]
    assert "$.currency: an integer is required." in answer["errors"]
