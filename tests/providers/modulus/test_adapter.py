"""The modulus adapter against the sandbox over real HTTP: create, status updates, rejections, preview."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation, RejectedError, UnsupportedOperation
from providers.jsonnumbers import loads_decimal
from providers.registry import adapter_for
from providers.sandbox import modulus as sandbox
from providers.sandbox.models import SandboxRequest
from tests.factories import make_invoice

from .conftest import calls, invoice_effects

TO_OPEN = Change(Operation.PUSH, "idem-open", to_status="open", from_status="draft")
TO_VOID = Change(Operation.PUSH, "idem-void", to_status="void", from_status="open")
FIELDS_ONLY = Change(Operation.PUSH, "idem-fields")


def held_invoice(account: Any, *, status: str = "open", **fields: Any) -> Any:
    """An invoice modulus already holds as id 35 (seeded in the sandbox with the same number)."""
    sandbox.seed_invoice(35, "INV_2023_01_01_828", "STATUS_DRAFT" if status == "draft" else "STATUS_SENT")
    fields.setdefault("remote_id", "35")
    fields.setdefault("remote_number", "INV_2023_01_01_828")
    return make_invoice(account=account, status=status, customer_ref="CUST-7", **fields)


def test_sending_a_draft_modulus_never_saw_creates_it_as_sent(modulus_account: Any) -> None:
    # given
    account = modulus_account()
    invoice = make_invoice(account=account, customer_ref="CUST-7", currency="EUR")

    # when
    result = adapter_for(account).push(invoice_data(invoice), TO_OPEN)

    # then
    assert result.ok
    assert result.remote_id == "1000"
    assert result.remote_number == "INV_2026_11_01_1000"
    assert result.remote_status == "STATUS_SENT"
    assert result.status == "open"
    assert result.message == "Invoice added successfully."
    assert [e.method for e in result.exchanges] == ["POST", "POST"]  # Authenticate, then create
    stored = sandbox.stored_invoice(1000)
    assert stored is not None
    assert stored["status"] == "STATUS_SENT"
    assert stored["reference"] == invoice.number
    assert stored["items"] == [{"item_code": "SKU-1", "unit_id": 1, "quantity": 2, "unit_price": 10}]
    assert invoice_effects() == ["invoice 1000 created as STATUS_SENT"]


def test_a_fields_only_push_of_a_draft_creates_it_as_a_draft(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = make_invoice(account=account, customer_ref="CUST-7")

    result = adapter_for(account).push(invoice_data(invoice), FIELDS_ONLY)

    assert result.remote_status == "STATUS_DRAFT"
    assert sandbox.stored_invoice(result.remote_id)["status"] == "STATUS_DRAFT"  # type: ignore[index]


def test_sending_an_invoice_modulus_holds_changes_its_status(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account, status="draft")

    result = adapter_for(account).push(invoice_data(invoice), TO_OPEN)

    assert result.ok
    assert result.message == "Invoice Status changed successfully"
    assert result.remote_id == "35"
    assert result.remote_status == "STATUS_SENT"
    assert result.status == "open"
    assert result.data == {
        "result": True,
        "title": "Success",
        "message": "Invoice Status changed successfully",
    }
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_SENT"]


def test_voiding_sends_the_void_date_and_modulus_keeps_it(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account, provider_fields={"void_date": "2026-11-02 08:15:00"})

    adapter_for(account).push(invoice_data(invoice), TO_VOID)

    stored = sandbox.stored_invoice(35)
    assert stored is not None
    assert stored["status"] == "STATUS_VOID"
    assert stored["void_date"] == "2026-11-02 08:15:00"
    assert invoice_effects() == ["invoice 35 STATUS_SENT -> STATUS_VOID on 2026-11-02 08:15:00"]


def test_the_same_status_sent_twice_applies_one_effect(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account)
    adapter = adapter_for(account)

    adapter.push(invoice_data(invoice), TO_VOID)
    again = adapter.push(invoice_data(invoice), TO_VOID)

    assert again.ok
    assert len(invoice_effects()) == 1


def test_a_void_date_in_the_future_is_refused_before_anything_is_sent(modulus_account: Any) -> None:
    account = modulus_account()
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    invoice = held_invoice(account, provider_fields={"void_date": tomorrow})

    with pytest.raises(RejectedError, match=r"^The void date cannot be in the future\.$") as excinfo:
        adapter_for(account).push(invoice_data(invoice), TO_VOID)

    assert excinfo.value.exchanges == ()
    assert not SandboxRequest.objects.filter(kind="modulus").exists()


def test_voiding_an_invoice_modulus_never_received_sends_nothing(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = make_invoice(account=account, status="open")

    result = adapter_for(account).push(invoice_data(invoice), TO_VOID)

    assert result.ok
    assert result.message == "modulus never received this invoice: nothing to void there"
    assert result.exchanges == ()
    assert not SandboxRequest.objects.filter(kind="modulus").exists()


def test_an_edit_of_an_invoice_modulus_holds_sends_nothing(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account)

    result = adapter_for(account).push(invoice_data(invoice), FIELDS_ONLY)

    assert result.ok
    assert result.message == "modulus updates only an invoice's status: nothing to send"
    assert not SandboxRequest.objects.filter(kind="modulus").exists()


@pytest.mark.parametrize("status", ["paid", "uncollectible", "refunded"])
def test_statuses_modulus_has_no_word_for_are_refused_before_sending(modulus_account: Any, status: str) -> None:
    account = modulus_account()
    invoice = held_invoice(account)
    change = Change(Operation.PUSH, "idem", to_status=status, from_status="open")

    with pytest.raises(RejectedError, match="modulus accepts only STATUS_SENT and STATUS_VOID"):
        adapter_for(account).push(invoice_data(invoice), change)

    assert not SandboxRequest.objects.filter(kind="modulus").exists()


def test_an_unknown_invoice_is_rejected_with_modulus_message(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = make_invoice(account=account, status="open", remote_id="404", remote_number="INV_X")

    with pytest.raises(RejectedError) as excinfo:
        adapter_for(account).push(invoice_data(invoice), TO_VOID)

    assert excinfo.value.status_code == 400
    assert excinfo.value.message == "Invoice not found."
    assert [e.method for e in excinfo.value.exchanges] == ["POST", "PATCH"]
    assert invoice_effects() == []


def test_a_number_that_is_not_the_invoices_is_rejected(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account, remote_number="INV_OTHER")

    with pytest.raises(RejectedError, match="does not match"):
        adapter_for(account).push(invoice_data(invoice), TO_VOID)


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"customer_ref": ""}, "5677", "Missing customer code."),
        ({"due_date": None}, "5524", "Missing or invalid due date."),
        ({"lines": []}, "5528", "Document must has one or more item row."),
        ({"provider_fields": {"customer_type": "robot"}}, "5597", "Invalid type value."),
        ({"lines": [{"quantity": 1, "unit_price": 5}]}, "5529", "Missing code, unit or quantity in item row"),
    ],
)
def test_a_create_modulus_refuses_keeps_its_code_and_message(
    modulus_account: Any, fields: dict[str, Any], code: str, message: str
) -> None:
    account = modulus_account()
    fields.setdefault("customer_ref", "CUST-7")
    invoice = make_invoice(account=account, **fields)

    with pytest.raises(RejectedError) as excinfo:
        adapter_for(account).push(invoice_data(invoice), TO_OPEN)

    assert excinfo.value.provider_code == code
    assert excinfo.value.message.startswith(message)
    assert excinfo.value.status_code == 400
    assert invoice_effects() == []


def test_creating_without_the_accounts_setup_ids_is_a_configuration_error(modulus_account: Any) -> None:
    account = modulus_account(settings={})
    invoice = make_invoice(account=account, customer_ref="CUST-7")

    with pytest.raises(ConfigurationError, match="branch_code, book_id, payment_term_id, unit_id"):
        adapter_for(account).push(invoice_data(invoice), TO_OPEN)

    assert not SandboxRequest.objects.filter(kind="modulus").exists()


def test_the_preview_is_what_the_push_sends_with_credentials_and_token_masked(modulus_account: Any) -> None:
    # given
    account = modulus_account()
    invoice = held_invoice(account, provider_fields={"void_date": "2026-11-02 08:15:00"})
    adapter = adapter_for(account)

    # when
    auth, update = adapter.preview(invoice_data(invoice), TO_VOID)

    # then: nothing went out
    assert not SandboxRequest.objects.filter(kind="modulus").exists()
    assert (auth.method, auth.url, auth.body) == (
        "POST",
        f"{account.base_url}/api/cmn/Authenticate",
        "app=***&secret=***",
    )
    assert update.method == "PATCH"
    assert update.url == f"{account.base_url}/api/inv/v1/Invoice?token=***"
    assert update.headers == {"Content-Type": "application/json", "Accept": "application/json"}
    assert loads_decimal(update.body) == {
        "customer_details": {
            "invoice_id": 35,
            "status": "STATUS_VOID",
            "invoice_number": "INV_2023_01_01_828",
            "void_date": "2026-11-02 08:15:00",
        }
    }
    # and the push sends that very body, after authenticating
    adapter.push(invoice_data(invoice), TO_VOID)
    assert calls() == [("POST", "/api/cmn/Authenticate", 200), ("PATCH", "/api/inv/v1/Invoice", 200)]
    assert SandboxRequest.objects.get(method="PATCH").body == update.body


def test_with_a_token_cached_the_preview_shows_only_the_invoice_call(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account)
    adapter = adapter_for(account)
    adapter.test_connection()

    [update] = adapter.preview(invoice_data(invoice), TO_VOID)

    assert update.url.endswith("?token=***")


def test_nothing_to_send_previews_as_no_request(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account)

    assert adapter_for(account).preview(invoice_data(invoice), FIELDS_ONLY) == []


def test_modulus_has_no_read_endpoint(modulus_account: Any) -> None:
    account = modulus_account()
    invoice = held_invoice(account)

    with pytest.raises(UnsupportedOperation, match="no endpoint to read an invoice back"):
        adapter_for(account).fetch_remote(invoice_data(invoice))
