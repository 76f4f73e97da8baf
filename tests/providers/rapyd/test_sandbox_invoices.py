"""The Rapyd sandbox holds invoices as Rapyd does: its envelopes, state machine, rules and idempotency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from providers.sandbox import rapyd as emulator
from providers.sandbox.models import SandboxIdempotency
from tests.providers.faults import effects

from .helpers import CUSTOMER, compact, decimal_json, load_seed

pytestmark = pytest.mark.usefixtures("rapyd_account")

Raw = Callable[..., requests.Response]


def refusal(response: requests.Response) -> tuple[int, str, str]:
    envelope = response.json()
    assert "data" not in envelope
    status = envelope["status"]
    assert status["status"] == "ERROR"
    assert status["error_code"] == status["response_code"]
    return response.status_code, status["error_code"], status["message"]


def test_the_seed_update_examples_are_accepted_on_a_draft(raw: Raw) -> None:
    # given a draft, and the two request bodies of Rapyd's Update Invoice page
    draft = emulator.seed_invoice()
    first, second = (
        load_seed("rapyd_update_invoice_request.json"),
        load_seed("rapyd_update_invoice_tax_request.json"),
    )

    # when
    answers = [raw("POST", f"/v1/invoices/{draft['id']}", compact(body)) for body in (first, second)]

    # then
    assert [a.status_code for a in answers] == [200, 200]
    data = decimal_json(answers[1])["data"]
    assert data["metadata"] == {"merchant_defined": "updated"}
    assert data["days_until_due"] == 40
    assert data["due_date"] == data["created_at"] + 40 * 86_400
    assert data["tax_percent"] == 10
    assert data["status"] == "draft"


def test_the_invoice_object_has_the_shape_of_the_seed_response(raw: Raw) -> None:
    seed = load_seed("rapyd_update_invoice_response.json")
    draft = emulator.seed_invoice()

    answer = raw("GET", f"/v1/invoices/{draft['id']}").json()

    assert set(answer) == set(seed)
    assert set(answer["status"]) == set(seed["status"])
    assert set(answer["data"]) == set(seed["data"])
    assert answer["data"]["id"].startswith("invoice_")
    assert len(answer["data"]["id"]) == len(seed["data"]["id"])


def test_a_created_invoice_carries_its_lines_and_decimal_amounts(raw: Raw) -> None:
    # written by hand, so the amount travels as the JSON number 20.00 exactly
    text = (
        f'{{"customer":"{CUSTOMER}","currency":"EUR","lines":[{{"amount":20.00,"description":"Widget",'
        '"quantity":2,"unit_amount":10}],"tax_percent":19}'
    )

    response = raw("POST", "/v1/invoices", text)

    assert response.status_code == 200, response.text
    data = decimal_json(response)["data"]
    assert data["status"] == "draft"
    assert (data["subtotal"], data["tax"], data["total"]) == (
        Decimal("20.00"),
        Decimal("3.80"),
        Decimal("23.80"),
    )
    assert '"total":23.80' in response.text, "amounts are JSON numbers, not strings"
    assert data["lines"][0]["description"] == "Widget"
    assert data["lines"][0]["amount"] == Decimal("20.00")
    assert effects("rapyd") == [f"created {data['id']}"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"currency": "USD"}, "INVALID_CUSTOMER"),
        ({"customer": "someone", "currency": "USD"}, "INVALID_CUSTOMER"),
        ({"customer": CUSTOMER, "currency": "XYZ"}, "INVALID_CURRENCY"),
        ({"customer": CUSTOMER, "currency": "USD", "lines": [{"amount": "20"}]}, "INVALID_LINES"),
        ({"customer": CUSTOMER, "currency": "USD", "colour": "blue"}, "INVALID_FIELDS"),
    ],
)
def test_a_create_with_missing_or_bad_fields_is_refused(raw: Raw, body: dict[str, object], code: str) -> None:
    response = raw("POST", "/v1/invoices", compact(body))

    assert refusal(response)[:2] == (400, code)
    assert effects("rapyd") == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"statement_descriptor": "x" * 23}, "INVALID_STATEMENT_DESCRIPTOR"),
        ({"days_until_due": "40"}, "INVALID_DAYS_UNTIL_DUE"),
        ({"days_until_due": True}, "INVALID_DAYS_UNTIL_DUE"),
        ({"due_date": "2026-12-01"}, "INVALID_DUE_DATE"),
        ({"metadata": ["a"]}, "INVALID_METADATA"),
        ({"tax_percent": "10"}, "INVALID_TAX_PERCENT"),
        ({"tax_percent": 101}, "INVALID_TAX_PERCENT"),
        ({"description": 5}, "INVALID_DESCRIPTION"),
    ],
)
def test_an_update_with_a_bad_field_is_refused_and_changes_nothing(
    raw: Raw, body: dict[str, object], code: str
) -> None:
    draft = emulator.seed_invoice()

    response = raw("POST", f"/v1/invoices/{draft['id']}", compact(body))

    assert refusal(response)[:2] == (400, code)
    assert emulator.stored_invoice(draft["id"]) == draft


def test_a_statement_descriptor_of_22_characters_is_accepted(raw: Raw) -> None:
    draft = emulator.seed_invoice()

    response = raw("POST", f"/v1/invoices/{draft['id']}", compact({"statement_descriptor": "x" * 22}))

    assert response.status_code == 200


@pytest.mark.parametrize("status", ["open", "paid", "uncollectible", "void"])
def test_only_a_draft_can_be_updated(raw: Raw, status: str) -> None:
    invoice = emulator.seed_invoice(status=status)

    response = raw("POST", f"/v1/invoices/{invoice['id']}", compact({"description": "late"}))

    code, error, message = refusal(response)
    assert (code, error) == (400, "ERROR_UPDATE_NOT_DRAFT_INVOICE")
    assert "draft" in message


def test_a_payout_invoice_cannot_be_updated(raw: Raw) -> None:
    invoice = emulator.seed_invoice(invoice_type="payout")

    response = raw("POST", f"/v1/invoices/{invoice['id']}", compact({"description": "x"}))

    assert refusal(response)[:2] == (400, "ERROR_UPDATE_PAYOUT_INVOICE")


def test_tax_percent_is_frozen_once_a_payment_was_attempted(raw: Raw) -> None:
    draft = emulator.seed_invoice(attempt_count=1, tax_percent=5)

    changed = raw("POST", f"/v1/invoices/{draft['id']}", compact({"tax_percent": 10}))
    same = raw("POST", f"/v1/invoices/{draft['id']}", compact({"tax_percent": 5, "description": "ok"}))

    assert refusal(changed)[:2] == (400, "INVALID_TAX_PERCENT")
    assert same.status_code == 200


def test_an_unknown_invoice_is_a_404_in_rapyds_envelope(raw: Raw) -> None:
    response = raw("GET", "/v1/invoices/invoice_00000000000000000000000000000000")

    assert refusal(response)[:2] == (404, "ERROR_GET_INVOICE")


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("draft", "finalize", "open"),
        ("open", "pay", "paid"),
        ("open", "mark_uncollectible", "uncollectible"),
        ("open", "void", "void"),
        ("uncollectible", "pay", "paid"),
        ("uncollectible", "void", "void"),
    ],
)
def test_each_move_of_rapyds_state_machine_is_applied_once(raw: Raw, start: str, action: str, end: str) -> None:
    invoice = emulator.seed_invoice(status=start)

    response = raw("POST", f"/v1/invoices/{invoice['id']}/{action}")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == end
    assert effects("rapyd") == [f"{end} {invoice['id']}"]


@pytest.mark.parametrize(
    ("start", "action", "code"),
    [
        ("open", "finalize", "ERROR_FINALIZE_NOT_DRAFT_INVOICE"),
        ("draft", "pay", "ERROR_PAY_NOT_OPEN_INVOICE"),
        ("void", "pay", "ERROR_PAY_NOT_OPEN_INVOICE"),
        ("draft", "void", "ERROR_VOID_NOT_UNCOLLECTIBLE_OR_OPEN_INVOICE"),
        ("paid", "void", "ERROR_VOID_NOT_UNCOLLECTIBLE_OR_OPEN_INVOICE"),
        ("uncollectible", "mark_uncollectible", "ERROR_MARK_UNCOLLECTIBLE_NOT_OPEN_INVOICE"),
        ("paid", "mark_uncollectible", "ERROR_MARK_UNCOLLECTIBLE_NOT_OPEN_INVOICE"),
    ],
)
def test_a_move_the_state_machine_forbids_is_refused(raw: Raw, start: str, action: str, code: str) -> None:
    invoice = emulator.seed_invoice(status=start)

    response = raw("POST", f"/v1/invoices/{invoice['id']}/{action}")

    assert refusal(response)[:2] == (400, code)
    assert emulator.stored_invoice(invoice["id"])["status"] == start  # type: ignore[index]
    assert effects("rapyd") == []


def test_a_payout_invoice_cannot_be_paid(raw: Raw) -> None:
    invoice = emulator.seed_invoice(status="open", invoice_type="payout")

    assert refusal(raw("POST", f"/v1/invoices/{invoice['id']}/pay"))[:2] == (400, "ERROR_PAY_INVOICE_PAYMENT")


def test_a_finalized_invoice_gets_a_number_and_a_paid_one_a_payment(raw: Raw) -> None:
    draft = emulator.seed_invoice()

    opened = raw("POST", f"/v1/invoices/{draft['id']}/finalize").json()["data"]
    paid = raw("POST", f"/v1/invoices/{draft['id']}/pay").json()["data"]

    assert draft["number"] == 0
    assert opened["number"] >= 1
    assert paid["payment"].startswith("payment_")
    assert paid["attempt_count"] == 1


def test_a_draft_is_deleted_and_then_no_longer_found(raw: Raw) -> None:
    draft = emulator.seed_invoice()

    deleted = raw("DELETE", f"/v1/invoices/{draft['id']}")
    again = raw("GET", f"/v1/invoices/{draft['id']}")

    assert deleted.json()["data"] == {"deleted": True, "id": draft["id"]}
    assert refusal(again)[:2] == (404, "ERROR_GET_INVOICE")
    assert effects("rapyd") == [f"deleted {draft['id']}"]


def test_only_a_draft_can_be_deleted(raw: Raw) -> None:
    invoice = emulator.seed_invoice(status="open")

    assert refusal(raw("DELETE", f"/v1/invoices/{invoice['id']}"))[:2] == (
        400,
        "ERROR_DELETE_NOT_DRAFT_INVOICE",
    )


def test_a_repeated_idempotency_key_returns_the_first_answer_and_applies_nothing(raw: Raw) -> None:
    draft = emulator.seed_invoice()
    headers = {"idempotency": "idem-finalize-1"}

    first = raw("POST", f"/v1/invoices/{draft['id']}/finalize", headers=headers)
    second = raw("POST", f"/v1/invoices/{draft['id']}/finalize", headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.text == first.text, "the first response, operation_id included"
    assert effects("rapyd") == [f"open {draft['id']}"]


def test_an_idempotency_key_older_than_24_hours_no_longer_replays(raw: Raw) -> None:
    draft = emulator.seed_invoice()
    headers = {"idempotency": "idem-update-1"}
    raw("POST", f"/v1/invoices/{draft['id']}", compact({"description": "one"}), headers=headers)
    SandboxIdempotency.objects.filter(kind="rapyd").update(created_at=timezone.now() - timedelta(hours=25))

    later = raw("POST", f"/v1/invoices/{draft['id']}", compact({"description": "two"}), headers=headers)

    assert later.json()["data"]["description"] == "two"
    assert len(effects("rapyd")) == 2


def test_the_list_endpoint_returns_invoices_newest_first(raw: Raw) -> None:
    older = emulator.seed_invoice()
    newer = emulator.seed_invoice()

    data = raw("GET", "/v1/invoices?limit=10").json()["data"]

    assert {d["id"] for d in data} == {older["id"], newer["id"]}
    assert raw("GET", "/v1/invoices?limit=1").json()["data"][0]["id"] in (older["id"], newer["id"])
