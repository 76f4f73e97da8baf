"""The Rapyd mirror: Rapyd's Update Invoice, signed as Rapyd signs, recorded here and delivered to the sandbox.

The mirror is called with Django's test client; the Rapyd account points at the sandbox served by live_server,
so the queued delivery really reaches the emulator within the budget. Requests are signed in this file with
hmac/hashlib/base64, not with the product's signing module.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from invoices import relay
from invoices.models import Delivery, DeliveryState, Invoice, StatusChange
from providers.models import ProviderAccount
from providers.sandbox import rapyd as emulator
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxFault
from tests.factories import make_invoice
from tests.providers.faults import effects, script_faults

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
CUSTOMER = "cus_893a041b7dd251ec894556564298dc13"
LINES = [{"sku": "SKU-1", "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10.00")}]
ISSUED = dt.date(2026, 11, 1)


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text()


def sign(method: str, url_path: str, salt: str, timestamp: str, access_key: str, secret_key: str, body: str) -> str:
    """Rapyd's documented signature, written out here: base64 of the hex digest of HMAC-SHA256."""
    to_sign = f"{method.lower()}{url_path}{salt}{timestamp}{access_key}{secret_key}{body}".encode()
    digest = hmac.new(secret_key.encode(), to_sign, hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def midnight(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


def parsed(response: Any) -> Any:
    return json.loads(response.content, parse_float=Decimal)


class RapydCaller:
    """Calls the mirror the way a Rapyd client does, with the keys the back-office issued."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        self.http = Client()

    def post(
        self,
        url_path: str,
        body: str = "",
        *,
        signed_body: str | None = None,
        signed_path: str | None = None,
        salt: str | None = None,
        timestamp: int | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        idempotency: str | None = None,
        omit: tuple[str, ...] = (),
        method: str = "POST",
    ) -> Any:
        salt = salt or secrets.token_hex(6)
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        key = access_key or self.access_key
        headers = {
            "access_key": key,
            "salt": salt,
            "timestamp": stamp,
            "signature": sign(
                method,
                url_path if signed_path is None else signed_path,
                salt,
                stamp,
                key,
                secret_key or self.secret_key,
                body if signed_body is None else signed_body,
            ),
        }
        if idempotency:
            headers["idempotency"] = idempotency
        headers = {name: value for name, value in headers.items() if name not in omit}
        return self.http.generic(
            method, f"/api/rapyd{url_path}", body.encode(), content_type="application/json", headers=headers
        )


@pytest.fixture
def account(sandbox_account: Any) -> ProviderAccount:
    return sandbox_account("rapyd")


@pytest.fixture
def credentials(account: ProviderAccount, issue_api_client: Any) -> Any:
    return issue_api_client(account)


@pytest.fixture
def rapyd(credentials: Any) -> RapydCaller:
    return RapydCaller(credentials.access_key, credentials.secret_key)


def draft_known_to_rapyd(account: ProviderAccount, *, remote_status: str = "draft", **fields: Any) -> Invoice:
    """A draft of ours whose Rapyd invoice exists in the sandbox (as after a first push)."""
    remote = emulator.seed_invoice(
        customer=CUSTOMER, currency="USD", status=remote_status, lines=[{"amount": 20, "quantity": 2}]
    )
    return make_invoice(
        account=account,
        currency="USD",
        customer_ref=CUSTOMER,
        remote_id=remote["id"],
        issue_date=ISSUED,
        lines=LINES,
        **fields,
    )


@pytest.fixture
def draft(account: ProviderAccount) -> Invoice:
    return draft_known_to_rapyd(account)


def assert_rapyd_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    envelope = parsed(response)
    assert set(envelope) == {"status"}, "Rapyd's error envelope carries no data"
    block = envelope["status"]
    assert set(block) == {"error_code", "status", "message", "response_code", "operation_id"}
    assert block["status"] == "ERROR"
    assert block["error_code"] == block["response_code"] == code
    assert block["operation_id"]
    return block


def assert_nothing_changed(invoice: Invoice) -> None:
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert fresh.version == invoice.version
    assert (fresh.due_date, fresh.metadata, fresh.provider_fields) == (
        invoice.due_date,
        invoice.metadata,
        invoice.provider_fields,
    )
    assert not Delivery.objects.filter(invoice=invoice).exists()
    assert list(StatusChange.objects.filter(invoice=invoice).values_list("reason", flat=True)) == ["created"]
    assert effects("rapyd") == []


def wait_until_done(delivery_id: int, timeout: float = 15.0) -> Delivery:
    """The background attempt started within the budget goes on after the answer: wait for its outcome."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = Delivery.objects.get(pk=delivery_id)
        if delivery.state not in (DeliveryState.PENDING, DeliveryState.SENDING):
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} still {delivery.state}")


# -- the documented examples ------------------------------------------------------------------------------------
def test_the_documented_update_reaches_rapyd_and_answers_with_rapyds_invoice(
    rapyd: RapydCaller, draft: Invoice, credentials: Any
) -> None:
    # given the seed's request body, byte for byte
    body = seed_text("rapyd_update_invoice_request.json")

    # when
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", body)

    # then Rapyd's success envelope, with the invoice as Rapyd now holds it
    assert response.status_code == 200, response.content
    envelope = parsed(response)
    documented = json.loads(seed_text("rapyd_update_invoice_response.json"))
    assert set(envelope) == set(documented)
    assert set(envelope["status"]) == set(documented["status"])
    assert envelope["status"]["status"] == "SUCCESS"
    assert envelope["status"]["error_code"] == envelope["status"]["response_code"] == ""
    assert set(envelope["data"]) == set(documented["data"])
    data = envelope["data"]
    assert data["id"] == draft.remote_id
    assert data["metadata"] == {"merchant_defined": "updated"}
    assert data["due_date"] == midnight(ISSUED + dt.timedelta(days=40))
    assert data["status"] == "draft"
    # recorded here, through the services
    fresh = Invoice.objects.get(pk=draft.pk)
    assert fresh.due_date == ISSUED + dt.timedelta(days=40)
    assert fresh.metadata == {"merchant_defined": "updated"}
    delivery = Delivery.objects.get(invoice=draft)
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.requested_by == f"api:{credentials.client.name}"
    assert envelope["status"]["operation_id"] == delivery.idempotency_key
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    # and delivered to Rapyd once
    stored = emulator.stored_invoice(draft.remote_id)
    assert stored is not None
    assert stored["metadata"] == {"merchant_defined": "updated"}
    assert effects("rapyd") == [f"updated {draft.remote_id}: days_until_due, due_date, metadata"]


def test_the_documented_tax_percent_example_is_kept_and_sent_with_exact_amounts(
    rapyd: RapydCaller, draft: Invoice
) -> None:
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", seed_text("rapyd_update_invoice_tax_request.json"))

    assert response.status_code == 200, response.content
    data = parsed(response)["data"]
    assert data["tax_percent"] == 10
    assert (data["subtotal"], data["tax"], data["total"]) == (Decimal("20.00"), Decimal("2.00"), Decimal("22.00"))
    assert b'"total":22.00' in response.content, "amounts are exact JSON numbers"
    assert Invoice.objects.get(pk=draft.pk).provider_fields["tax_percent"] == 10
    assert emulator.stored_invoice(draft.remote_id)["tax_percent"] == 10  # type: ignore[index]


def test_metadata_is_merged_and_the_other_fields_find_their_home(rapyd: RapydCaller, account: ProviderAccount) -> None:
    invoice = draft_known_to_rapyd(account, metadata={"order": "A-1"})
    body = json.dumps(
        {
            "metadata": {"merchant_defined": "updated", "rate": 1.25, "lot": 7},
            "due_date": midnight(dt.date(2027, 1, 15)),
            "description": "January",
            "statement_descriptor": "ACME*INVOICE",
            "payment_fields": {"card": "on file"},
        }
    )

    response = rapyd.post(f"/v1/invoices/{invoice.remote_id}", body)

    assert response.status_code == 200, response.content
    fresh = Invoice.objects.get(pk=invoice.pk)
    # merged; a fractional number kept exact, as text (a float could not be sent on to Rapyd)
    assert fresh.metadata == {"order": "A-1", "merchant_defined": "updated", "rate": "1.25", "lot": 7}
    assert fresh.due_date == dt.date(2027, 1, 15)
    assert fresh.description == "January"
    assert fresh.provider_fields["statement_descriptor"] == "ACME*INVOICE"
    assert fresh.provider_fields["payment_fields"] == {"card": "on file"}
    data = parsed(response)["data"]
    assert data["statement_descriptor"] == "ACME*INVOICE"
    assert data["due_date"] == midnight(dt.date(2027, 1, 15))
    assert data["metadata"] == fresh.metadata
    assert Delivery.objects.get(invoice=invoice).state == DeliveryState.SUCCEEDED


def test_an_empty_update_changes_nothing_and_answers_with_the_invoice(rapyd: RapydCaller, draft: Invoice) -> None:
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", "")

    assert response.status_code == 200, response.content
    envelope = parsed(response)
    assert envelope["status"]["status"] == "SUCCESS"
    assert envelope["data"]["id"] == draft.remote_id
    assert envelope["data"]["total"] == Decimal("20.00")
    assert_nothing_changed(draft)


# -- Rapyd's refusals -------------------------------------------------------------------------------------------
def test_an_unknown_invoice_is_rapyds_error_get_invoice(rapyd: RapydCaller, draft: Invoice) -> None:
    response = rapyd.post("/v1/invoices/invoice_00000000000000000000000000000000", '{"description":"x"}')

    assert_rapyd_error(response, 404, "ERROR_GET_INVOICE")
    assert_nothing_changed(draft)


def test_an_invoice_of_an_account_the_client_may_not_act_on_is_unknown_to_it(
    sandbox_account: Any, issue_api_client: Any, draft: Invoice
) -> None:
    other = issue_api_client(sandbox_account("rapyd"))
    caller = RapydCaller(other.access_key, other.secret_key)

    response = caller.post(f"/v1/invoices/{draft.remote_id}", '{"description":"x"}')

    assert_rapyd_error(response, 404, "ERROR_GET_INVOICE")
    assert_nothing_changed(draft)


@pytest.mark.parametrize("status", ["open", "paid", "void"])
def test_only_a_draft_is_updated(rapyd: RapydCaller, account: ProviderAccount, status: str) -> None:
    invoice = draft_known_to_rapyd(account, status=status)

    response = rapyd.post(f"/v1/invoices/{invoice.remote_id}", '{"days_until_due":40}')

    block = assert_rapyd_error(response, 400, "ERROR_UPDATE_NOT_DRAFT_INVOICE")
    assert block["message"] == "The invoice is not draft. Can only update draft invoice."
    assert_nothing_changed(invoice)


def test_a_payout_invoice_is_not_updated(rapyd: RapydCaller, account: ProviderAccount) -> None:
    invoice = draft_known_to_rapyd(account, provider_fields={"type": "payout"})

    response = rapyd.post(f"/v1/invoices/{invoice.remote_id}", '{"days_until_due":40}')

    assert_rapyd_error(response, 400, "ERROR_UPDATE_PAYOUT_INVOICE")
    assert_nothing_changed(invoice)


BAD_BODIES = [
    ('{"statement_descriptor":"' + "X" * 23 + '"}', "INVALID_STATEMENT_DESCRIPTOR"),
    ('{"tax_percent":101}', "INVALID_TAX_PERCENT"),
    ('{"tax_percent":"10"}', "INVALID_TAX_PERCENT"),
    ('{"days_until_due":"40"}', "INVALID_DAYS_UNTIL_DUE"),
    ('{"days_until_due":-1}', "INVALID_DAYS_UNTIL_DUE"),
    ('{"due_date":true}', "INVALID_DUE_DATE"),
    ('{"metadata":["a"]}', "INVALID_METADATA"),
    ('{"description":7}', "INVALID_DESCRIPTION"),
    ('{"payment_fields":"card"}', "INVALID_PAYMENT_FIELDS"),
    ('{"currency":"EUR"}', "INVALID_FIELDS"),
    ('{"description":', "INVALID_JSON"),
    ('["description"]', "INVALID_BODY"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_a_bad_body_is_refused_as_rapyd_refuses_it_and_changes_nothing(
    rapyd: RapydCaller, draft: Invoice, sandbox_url: str, body: str, code: str
) -> None:
    # when the mirror receives it
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", body)

    # then Rapyd's refusal, with the code the emulated Rapyd gives the very same request
    block = assert_rapyd_error(response, 400, code)
    assert block["message"]
    assert_nothing_changed(draft)
    at_rapyd = send_to_sandbox(sandbox_url, f"/v1/invoices/{draft.remote_id}", body)
    assert (at_rapyd.status_code, at_rapyd.json()["status"]["error_code"]) == (400, code)


def send_to_sandbox(sandbox_url: str, url_path: str, body: str) -> requests.Response:
    keys = sandbox_credentials("rapyd")
    salt, stamp = secrets.token_hex(6), str(int(time.time()))
    headers = {
        "access_key": keys["access_key"],
        "salt": salt,
        "timestamp": stamp,
        "signature": sign("post", url_path, salt, stamp, keys["access_key"], keys["secret_key"], body),
        "Content-Type": "application/json",
    }
    return requests.post(f"{sandbox_url}/rapyd{url_path}", data=body.encode(), headers=headers, timeout=5)


def test_a_due_date_before_the_invoice_date_is_refused_in_rapyds_envelope(rapyd: RapydCaller, draft: Invoice) -> None:
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", json.dumps({"due_date": midnight(ISSUED) - 86_400}))

    block = assert_rapyd_error(response, 400, "INVALID_DUE_DATE")
    assert "due date" in block["message"]
    assert_nothing_changed(draft)


def test_a_body_over_the_size_limit_is_413_in_rapyds_envelope(rapyd: RapydCaller, draft: Invoice) -> None:
    body = json.dumps({"description": "x" * 500})

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=256):
        response = rapyd.post(f"/v1/invoices/{draft.remote_id}", body)

    assert_rapyd_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert_nothing_changed(draft)


def test_rapyds_own_refusal_within_the_budget_is_passed_on_as_rapyd_wrote_it(
    rapyd: RapydCaller, account: ProviderAccount
) -> None:
    # given a draft here that Rapyd has meanwhile finalized
    invoice = draft_known_to_rapyd(account, remote_status="open")

    # when
    response = rapyd.post(f"/v1/invoices/{invoice.remote_id}", '{"days_until_due":40}')

    # then Rapyd's refusal, and the delivery stopped as refused
    block = assert_rapyd_error(response, 400, "ERROR_UPDATE_NOT_DRAFT_INVOICE")
    delivery = Delivery.objects.get(invoice=invoice)
    assert delivery.state == DeliveryState.FAILED
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert block["operation_id"] != delivery.idempotency_key, "the operation id is Rapyd's own"


def test_a_delivery_our_own_setup_stopped_is_accepted_and_says_it_waits_for_the_back_office(
    sandbox_account: Any, issue_api_client: Any
) -> None:
    # given an account whose Rapyd keys are wrong: Rapyd refuses the back-office, not the caller
    account = sandbox_account("rapyd", credentials={"access_key": "rak_WRONG", "secret_key": "rsk_wrong"})
    invoice = draft_known_to_rapyd(account)
    keys = issue_api_client(account)

    response = RapydCaller(keys.access_key, keys.secret_key).post(
        f"/v1/invoices/{invoice.remote_id}", '{"description":"x"}'
    )

    assert response.status_code == 202, response.content
    status = parsed(response)["status"]
    assert status["status"] == "SUCCESS"
    assert status["message"].startswith("Accepted; the delivery to Rapyd stopped and waits for the back-office")
    assert Delivery.objects.get(invoice=invoice).state == DeliveryState.FAILED


def test_an_endpoint_the_mirror_does_not_serve_is_rapyds_unauthorized_api_call(rapyd: RapydCaller) -> None:
    response = rapyd.post("/v1/invoices/invoice_x/finalize", "")

    assert_rapyd_error(response, 401, "UNAUTHORIZED_API_CALL")


def test_another_method_on_the_update_path_is_refused_in_rapyds_envelope(rapyd: RapydCaller, draft: Invoice) -> None:
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", "", method="PUT")

    assert_rapyd_error(response, 405, "METHOD_NOT_ALLOWED")


# -- authentication ---------------------------------------------------------------------------------------------
def test_changing_one_byte_of_the_body_after_signing_is_refused(rapyd: RapydCaller, draft: Invoice) -> None:
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", '{"description":"B"}', signed_body='{"description":"A"}')

    assert_rapyd_error(response, 401, "UNAUTHENTICATED_API_CALL")
    assert_nothing_changed(draft)


TAMPERED: dict[str, Callable[[str], dict[str, Any]]] = {
    "no-signature": lambda remote_id: {"omit": ("signature",)},
    "no-headers": lambda remote_id: {"omit": ("access_key", "salt", "timestamp", "signature")},
    "wrong-secret": lambda remote_id: {"secret_key": "sk_not-the-issued-secret"},
    "unknown-key": lambda remote_id: {"access_key": "ak_unknown"},
    "stale": lambda remote_id: {"timestamp": int(time.time()) - 61},
    "future": lambda remote_id: {"timestamp": int(time.time()) + 61},
    "short-salt": lambda remote_id: {"salt": "short"},
    "mount-signed": lambda remote_id: {"signed_path": f"/api/rapyd/v1/invoices/{remote_id}"},
}


@pytest.mark.parametrize("tamper", list(TAMPERED))
def test_missing_or_wrong_credentials_are_refused_and_nothing_changes(
    rapyd: RapydCaller, draft: Invoice, tamper: str
) -> None:
    response = rapyd.post(
        f"/v1/invoices/{draft.remote_id}", '{"days_until_due":40}', **TAMPERED[tamper](draft.remote_id)
    )

    assert_rapyd_error(response, 401, "UNAUTHENTICATED_API_CALL")
    assert_nothing_changed(draft)


def test_a_replayed_salt_is_refused(rapyd: RapydCaller, draft: Invoice) -> None:
    first = rapyd.post(f"/v1/invoices/{draft.remote_id}", "", salt="salt-once-0001")
    again = rapyd.post(f"/v1/invoices/{draft.remote_id}", "", salt="salt-once-0001")

    assert first.status_code == 200
    assert_rapyd_error(again, 401, "UNAUTHENTICATED_API_CALL")


def test_the_query_string_is_part_of_the_signed_path(rapyd: RapydCaller, draft: Invoice) -> None:
    url_path = f"/v1/invoices/{draft.remote_id}?source=erp"

    signed_with_it = rapyd.post(url_path, "")
    signed_without_it = rapyd.post(url_path, "", signed_path=f"/v1/invoices/{draft.remote_id}")

    assert signed_with_it.status_code == 200, signed_with_it.content
    assert_rapyd_error(signed_without_it, 401, "UNAUTHENTICATED_API_CALL")


def test_a_read_only_client_may_not_update(account: ProviderAccount, issue_api_client: Any, draft: Invoice) -> None:
    viewer = issue_api_client(account, role="viewer")

    response = RapydCaller(viewer.access_key, viewer.secret_key).post(
        f"/v1/invoices/{draft.remote_id}", '{"days_until_due":40}'
    )

    assert_rapyd_error(response, 401, "UNAUTHORIZED_API_CALL")
    assert_nothing_changed(draft)


# -- idempotency ------------------------------------------------------------------------------------------------
def test_a_replay_with_the_same_idempotency_key_returns_the_first_answer_and_changes_nothing(
    rapyd: RapydCaller, draft: Invoice
) -> None:
    body = seed_text("rapyd_update_invoice_request.json")
    first = rapyd.post(f"/v1/invoices/{draft.remote_id}", body, idempotency="idem-rapyd-0001")
    version = Invoice.objects.get(pk=draft.pk).version

    # a new signature (new salt and timestamp), the same key and request
    again = rapyd.post(f"/v1/invoices/{draft.remote_id}", body, idempotency="idem-rapyd-0001")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["X-Backoffice-Delivery"] == first["X-Backoffice-Delivery"]
    assert Invoice.objects.get(pk=draft.pk).version == version
    assert Delivery.objects.filter(invoice=draft).count() == 1
    assert len(effects("rapyd")) == 1


def test_an_idempotency_key_reused_with_another_body_is_refused(rapyd: RapydCaller, draft: Invoice) -> None:
    rapyd.post(f"/v1/invoices/{draft.remote_id}", '{"days_until_due":40}', idempotency="idem-rapyd-0002")

    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", '{"days_until_due":41}', idempotency="idem-rapyd-0002")

    assert_rapyd_error(response, 409, "IDEMPOTENCY_CONFLICT")
    assert Delivery.objects.filter(invoice=draft).count() == 1


# -- the budget -------------------------------------------------------------------------------------------------
@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_a_slow_rapyd_gets_202_accepted_and_queued_and_the_background_attempt_completes_it(
    rapyd: RapydCaller, draft: Invoice
) -> None:
    # given Rapyd answering after the budget
    SandboxFault.objects.update_or_create(kind="rapyd", defaults={"latency_ms": 1500})

    # when
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", seed_text("rapyd_update_invoice_request.json"))

    # then accepted and queued, in Rapyd's envelope, with our view of the invoice
    assert response.status_code == 202, response.content
    envelope = parsed(response)
    delivery = Delivery.objects.get(invoice=draft)
    assert envelope["status"] == {
        "error_code": "",
        "status": "SUCCESS",
        "message": "Accepted and queued for delivery to Rapyd.",
        "response_code": "",
        "operation_id": delivery.idempotency_key,
    }
    data = envelope["data"]
    assert data["delivery_id"] == delivery.pk
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert (data["id"], data["status"], data["currency"]) == (draft.remote_id, "draft", "USD")
    assert data["metadata"] == {"merchant_defined": "updated"}
    assert data["due_date"] == midnight(ISSUED + dt.timedelta(days=40))
    assert data["total"] == Decimal("20.00")
    # and the attempt started within the budget completes it
    assert wait_until_done(delivery.pk).state == DeliveryState.SUCCEEDED
    assert emulator.stored_invoice(draft.remote_id)["metadata"] == {"merchant_defined": "updated"}  # type: ignore[index]
    assert len(effects("rapyd")) == 1


def test_a_delivery_rapyd_could_not_take_now_is_completed_by_the_relay(rapyd: RapydCaller, draft: Invoice) -> None:
    # given Rapyd briefly unavailable
    script_faults("rapyd", ["503"], retry_after_s=1)

    # when
    response = rapyd.post(f"/v1/invoices/{draft.remote_id}", '{"days_until_due":40}')

    # then queued for a retry
    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get(invoice=draft)
    assert parsed(response)["data"]["delivery_id"] == delivery.pk
    assert delivery.state == DeliveryState.PENDING
    # and the relay delivers it once it is due
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert relay.relay(worker="t", budget_seconds=30) == 1
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SUCCEEDED
    assert emulator.stored_invoice(draft.remote_id)["due_date"] == midnight(ISSUED + dt.timedelta(days=40))  # type: ignore[index]


# -- documentation ----------------------------------------------------------------------------------------------
def test_the_schema_documents_the_mirror_with_rapyds_examples_and_signature(db: None) -> None:
    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/rapyd/v1/invoices/{invoice}"]["post"]
    assert operation["security"] == [
        {"rapydAccessKey": [], "rapydSalt": [], "rapydTimestamp": [], "rapydSignature": []}
    ]
    assert schema["components"]["securitySchemes"]["rapydSignature"]["name"] == "signature"
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"value": {"metadata": {"merchant_defined": "updated"}, "days_until_due": 40}}.items() <= next(
        iter(examples.values())
    ).items()
    assert {"200", "202", "400", "401", "404", "413"} <= set(operation["responses"])
