"""The two examples of modulus' "Update Invoice" page, against the sandbox and from the adapter.

The page's curl bodies lack their final closing brace; the fixtures hold them with it, unchanged otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from invoices.lifecycle import IllegalTransition
from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.jsonnumbers import loads_decimal
from providers.modulus.adapter import ModulusAdapter
from providers.registry import adapter_for
from providers.sandbox import modulus as sandbox
from tests.factories import make_invoice

from .conftest import invoice_effects, raw_invoice_call, raw_token, seed_example

DOCUMENTED_ON = dt.datetime.fromisoformat(seed_example(1)["documented_on"])


def seed_invoice_35() -> None:
    sandbox.seed_invoice(35, "INV_2023_01_01_828", "STATUS_DRAFT")


def test_example_1_is_answered_as_documented(sandbox_url: str, transactional_db: None) -> None:
    example = seed_example(1)
    seed_invoice_35()

    response = raw_invoice_call(sandbox_url, example["method"], example["request"], raw_token(sandbox_url))

    assert response.status_code == example["status"]
    assert response.json() == example["response"]
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_SENT"]


@pytest.mark.parametrize("example_number", [1, 2])
def test_both_examples_are_answered_as_documented_on_the_day_they_were_written(
    sandbox_url: str, transactional_db: None, example_number: int
) -> None:
    example = seed_example(example_number)
    seed_invoice_35()
    with time_machine.travel(DOCUMENTED_ON, tick=True):
        token = raw_token(sandbox_url)
        response = raw_invoice_call(sandbox_url, example["method"], example["request"], token)

    assert response.status_code == example["status"]
    # modulus' error answers carry "object" beside what the example prints
    assert {k: v for k, v in response.json().items() if k in example["response"]} == example["response"]


def test_example_2_is_accepted_once_its_void_date_has_passed(sandbox_url: str, transactional_db: None) -> None:
    example = seed_example(2)
    seed_invoice_35()

    response = raw_invoice_call(sandbox_url, "PATCH", example["request"], raw_token(sandbox_url))

    assert response.status_code == 200
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_VOID on 2025-01-14 19:59:22"]


def test_the_number_padded_with_spaces_and_the_id_as_an_integer_are_accepted(
    sandbox_url: str, transactional_db: None
) -> None:
    seed_invoice_35()
    body = {
        "customer_details": {
            "invoice_id": 35,
            "status": "STATUS_SENT",
            "invoice_number": " INV_2023_01_01_828 ",
        }
    }

    response = raw_invoice_call(sandbox_url, "PATCH", body, raw_token(sandbox_url))

    assert response.status_code == 200


def adapters_body(example_number: int, modulus_account: Any, to_status: str) -> dict[str, Any]:
    example = seed_example(example_number)["request"]["customer_details"]
    account = modulus_account()
    invoice = make_invoice(
        account=account,
        status="open" if to_status == "void" else "draft",
        remote_id=example["invoice_id"],
        remote_number=example["invoice_number"],
        provider_fields={"void_date": example["void_date"]},
    )
    change = Change(Operation.PUSH, "idem", to_status=to_status, from_status="open")
    [request] = [r for r in adapter_for(account).preview(invoice_data(invoice), change) if r.method == "PATCH"]
    return dict(loads_decimal(request.body))


def test_the_adapter_writes_example_2_from_an_equivalent_invoice(modulus_account: Any) -> None:
    example = seed_example(2)["request"]

    body = adapters_body(2, modulus_account, "void")

    # the adapter sends the id as the integer the field table documents, where the example quotes it
    assert body == {"customer_details": {**example["customer_details"], "invoice_id": 35}}


def test_the_adapter_writes_example_1_without_a_void_date_for_a_sent_status(modulus_account: Any) -> None:
    example = seed_example(1)["request"]["customer_details"]

    body = adapters_body(1, modulus_account, "open")

    # a void date means nothing when the invoice is not voided: the adapter leaves it out
    expected = {k: v for k, v in example.items() if k != "void_date"}
    assert body == {"customer_details": {**expected, "invoice_id": 35}}


def test_the_rules_refuse_example_2_on_the_day_it_was_written(modulus_account: Any) -> None:
    account = modulus_account()
    example = seed_example(2)["request"]["customer_details"]
    invoice = make_invoice(
        account=account, status="open", remote_id="35", provider_fields={"void_date": example["void_date"]}
    )

    with time_machine.travel(DOCUMENTED_ON, tick=False), pytest.raises(IllegalTransition) as excinfo:
        ModulusAdapter.check_transition(invoice_data(invoice), "void")

    assert excinfo.value.detail == "The void date cannot be in the future."
