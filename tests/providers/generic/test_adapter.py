"""The generic adapter against the sandbox over real HTTP: pushes, rejections, preview."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from invoices.selectors import invoice_data
from providers.base import Change, ConfigurationError, Operation, RejectedError, UnsupportedOperation
from providers.jsonnumbers import loads_decimal
from providers.registry import adapter_for
from providers.sandbox import generic as sandbox
from providers.sandbox.models import SandboxRequest
from tests.providers.faults import effects

from .conftest import invoice_like_the_full_seed, seed_body

OPEN = Change(Operation.PUSH, "idem-1", to_status="open", from_status="draft")
VOID = Change(Operation.PUSH, "idem-2", to_status="void", from_status="open")


def seeded_invoice(account: Any, **overrides: Any) -> Any:
    seed = seed_body("generic_update_full.json")
    sandbox.seed_invoice(
        seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
    )
    return invoice_like_the_full_seed(account, **overrides)


def test_a_push_replaces_the_invoice_and_the_answer_is_mapped_back(generic_account: Any) -> None:
    # given
    account = generic_account()
    invoice = seeded_invoice(account)

    # when
    result = adapter_for(account).push(invoice_data(invoice), OPEN)

    # then
    assert result.ok
    assert result.remote_id == invoice.remote_id
    assert result.remote_status == "Pending"
    assert result.status == "open"
    # 2 x 10.50 + 99.99 - 5.00 discount, then 15 % and 2.5 % taxes: 115.99 x 1.175 = 136.29 (half-up)
    assert result.data["amount"] == "136.29"
    assert result.message == "Invoice updated successfully."
    assert len(result.exchanges) == 1
    assert result.exchanges[0].method == "PUT"
    assert result.exchanges[0].url.endswith("/sandbox/generic/api/v1/Invoice/Update")
    stored = sandbox.stored_invoice(invoice.remote_id)
    assert stored is not None
    assert stored["counterPartyName"] == "Ada Lovelace"
    assert stored["products"][0] == {
        "productId": "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
        "quantity": 2,
        "unitPrice": "10.5",
    }
    assert effects("generic") == [f"invoice {invoice.remote_id} replaced (amount 136.29, status Pending)"]


def test_the_same_full_replace_sent_twice_applies_one_effect(generic_account: Any) -> None:
    account = generic_account()
    invoice = seeded_invoice(account)
    adapter = adapter_for(account)

    first = adapter.push(invoice_data(invoice), OPEN)
    second = adapter.push(invoice_data(invoice), OPEN)

    assert first.ok
    assert second.ok
    assert len(effects("generic")) == 1


def test_a_void_travels_as_the_status_word_and_comes_back_as_ours(generic_account: Any) -> None:
    account = generic_account()
    invoice = seeded_invoice(account)

    result = adapter_for(account).push(invoice_data(invoice), VOID)

    assert result.status == "void"
    assert result.remote_status == "Void"
    assert sandbox.stored_invoice(invoice.remote_id)["status"] == "Void"  # type: ignore[index]


def test_an_unknown_invoice_id_is_rejected_with_the_providers_404_message(generic_account: Any) -> None:
    account = generic_account()
    invoice = invoice_like_the_full_seed(account, remote_id=str(uuid.uuid4()))

    with pytest.raises(RejectedError) as excinfo:
        adapter_for(account).push(invoice_data(invoice), OPEN)

    assert excinfo.value.status_code == 404
    assert excinfo.value.message == f"Invoice not found. No invoice with id {invoice.remote_id}."
    assert excinfo.value.exchanges
    assert effects("generic") == []


def test_a_body_the_api_cannot_bind_is_rejected_with_every_validation_error_kept(
    generic_account: Any,
) -> None:
    account = generic_account()
    invoice = seeded_invoice(account, customer_ref="CUST-42", receiving_account_ref="")

    with pytest.raises(RejectedError) as excinfo:
        adapter_for(account).push(invoice_data(invoice), OPEN)

    error = excinfo.value
    assert error.status_code == 400
    assert error.message.startswith("One or more validation errors occurred.")
    assert "$.counterPartyId: a uuid is required." in error.message
    assert "$.receivingAccountId: a uuid is required." in error.message
    assert effects("generic") == []


def test_a_product_without_a_uuid_is_refused_by_the_api(generic_account: Any) -> None:
    account = generic_account()
    invoice = seeded_invoice(account, provider_fields={})

    with pytest.raises(RejectedError, match=r"\$\.products\[0\]\.productId: a uuid is required\."):
        adapter_for(account).push(invoice_data(invoice), OPEN)


def test_an_invoice_without_remote_id_is_refused_before_anything_is_sent(generic_account: Any) -> None:
    account = generic_account()
    invoice = invoice_like_the_full_seed(account, remote_id="")

    with pytest.raises(RejectedError, match="only updates existing invoices") as excinfo:
        adapter_for(account).push(invoice_data(invoice), OPEN)

    assert excinfo.value.exchanges == ()
    assert not SandboxRequest.objects.filter(kind="generic").exists()


def test_a_currency_the_account_does_not_map_is_a_configuration_error(generic_account: Any) -> None:
    account = generic_account()
    invoice = seeded_invoice(account, currency="EUR")

    with pytest.raises(ConfigurationError, match="currency_codes"):
        adapter_for(account).push(invoice_data(invoice), OPEN)

    assert not SandboxRequest.objects.filter(kind="generic").exists()


def test_the_accounts_currency_mapping_is_what_the_api_receives(generic_account: Any) -> None:
    account = generic_account(settings={"currency_codes": {"EUR": 3}})
    invoice = seeded_invoice(account, currency="EUR")

    adapter_for(account).push(invoice_data(invoice), OPEN)

    assert sandbox.stored_invoice(invoice.remote_id)["currency"] == 3  # type: ignore[index]


def test_the_preview_is_exactly_what_the_push_sends_with_the_token_masked(generic_account: Any) -> None:
    # given
    account = generic_account()
    invoice = seeded_invoice(account)
    adapter = adapter_for(account)

    # when
    [preview] = adapter.preview(invoice_data(invoice), OPEN)

    # then: nothing went out
    assert not SandboxRequest.objects.filter(kind="generic").exists()
    assert preview.method == "PUT"
    assert preview.url == f"{account.base_url}/api/v1/Invoice/Update"
    assert preview.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer ***",
    }
    # and the push sends that very body
    adapter.push(invoice_data(invoice), OPEN)
    received = SandboxRequest.objects.get(kind="generic")
    assert received.body == preview.body
    assert loads_decimal(preview.body)["discount"] == {"discountType": 2, "discountValue": Decimal("5.00")}


def test_the_preview_masks_a_custom_api_key_header(generic_account: Any) -> None:
    account = generic_account(settings={"auth_scheme": "api_key", "api_key_header": "X-Tenant-Key"})
    invoice = seeded_invoice(account)

    [preview] = adapter_for(account).preview(invoice_data(invoice), OPEN)

    assert preview.headers["X-Tenant-Key"] == "***"
    assert "Authorization" not in preview.headers


def test_the_api_has_no_read_endpoint(generic_account: Any) -> None:
    account = generic_account()
    invoice = seeded_invoice(account)

    with pytest.raises(UnsupportedOperation):
        adapter_for(account).fetch_remote(invoice_data(invoice))
