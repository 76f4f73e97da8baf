"""The modulus mirror over HTTP: "Update Invoice" requests recorded here and carried to the modulus sandbox
(served by the live server) within the delivery budget; the page's two examples behave as documented."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

from invoices import relay
from invoices.api_clients import IssuedCredentials
from invoices.models import ApiClient, Delivery, DeliveryState, Invoice, StatusChange, SyncState
from providers.models import ProviderAccount
from providers.sandbox import modulus as sandbox
from providers.sandbox.models import SandboxFault, SandboxRequest
from tests.factories import ProviderAccountFactory, make_invoice

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
URL = "/api/modulus/inv/v1/Invoice"
NUMBER = "INV_2023_01_01_828"
SUCCESS = {"result": True, "title": "Success", "message": "Invoice Status changed successfully"}
BAD_TOKEN = {"result": False, "title": "Unauthorized", "message": "Invalid or expired token.", "object": None}


def seed_example(number: int) -> dict[str, Any]:
    return json.loads((SEEDS / f"modulus_update_example_{number}.json").read_text())


DOCUMENTED_ON = dt.datetime.fromisoformat(seed_example(1)["documented_on"])


# -- helpers ------------------------------------------------------------------------------------------------------
def patch(body: Any, token: str | None, *, headers: dict[str, str] | None = None, method: str = "PATCH") -> Any:
    url = URL if token is None else f"{URL}?token={token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().generic(method, url, data, content_type="application/json", headers=headers or {})


def details(**fields: Any) -> dict[str, Any]:
    values = {"invoice_id": "35", "status": "STATUS_SENT", "invoice_number": NUMBER}
    return {"customer_details": {k: v for k, v in {**values, **fields}.items() if v is not ...}}


def invoice_effects() -> list[str]:
    rows = SandboxRequest.objects.filter(kind="modulus", effect__startswith="invoice").order_by("id")
    return list(rows.values_list("effect", flat=True))


def footprint(invoice: Invoice) -> tuple[int, int, int, str, int]:
    """What a refused or replayed call must leave as it was: history, deliveries, version, status, traffic."""
    fresh = Invoice.objects.get(pk=invoice.pk)
    return (
        StatusChange.objects.filter(invoice=invoice).count(),
        Delivery.objects.filter(invoice=invoice).count(),
        fresh.version,
        fresh.status,
        SandboxRequest.objects.filter(kind="modulus").count(),
    )


def settle(invoice: Invoice, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        relay.relay(worker="t", budget_seconds=5)
        if set(Delivery.objects.filter(invoice=invoice).values_list("state", flat=True)) == {"succeeded"}:
            return
        time.sleep(0.2)
    raise AssertionError(f"deliveries not through: {list(Delivery.objects.filter(invoice=invoice))}")


@pytest.fixture
def account(sandbox_account: Any) -> ProviderAccount:
    return sandbox_account("modulus")


@pytest.fixture
def issued(issue_api_client: Any, account: ProviderAccount) -> IssuedCredentials:
    return issue_api_client(account)


def invoice_35(account: ProviderAccount, status: str = "draft", *, held: str = "STATUS_DRAFT") -> Invoice:
    """The invoice of the page's examples: id 35 at modulus, known there in `held`, and here in `status`."""
    sandbox.seed_invoice(35, NUMBER, held)
    return make_invoice(account=account, status=status, remote_id="35", remote_number=NUMBER)


@pytest.fixture
def offline(issue_api_client: Any) -> Any:
    """An invoice of an account no request reaches (for refusals made before anything is sent)."""

    def build(status: str = "open", role: str = "operator") -> tuple[Invoice, IssuedCredentials]:
        account = ProviderAccountFactory.create(kind="modulus")
        invoice = make_invoice(account=account, status=status, remote_id="35", remote_number=NUMBER)
        return invoice, issue_api_client(account, role=role)

    return build


# -- the page's examples ------------------------------------------------------------------------------------------
def test_example_1_marks_the_invoice_sent_here_and_at_modulus(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given
    example = seed_example(1)
    invoice = invoice_35(account)

    # when the example is sent unchanged, with our token
    response = patch(example["request"], issued.token)

    # then
    assert response.status_code == example["status"] == 200, response.content
    assert response.json() == example["response"]
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_SENT"]
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.sync_state) == ("open", SyncState.SYNCED)
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.door) == ("draft", "open", "api")
    assert change.actor_client == issued.client
    delivery = Delivery.objects.get(invoice=invoice)
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.SUCCEEDED


@pytest.mark.parametrize("example_number", [1, 2])
def test_both_examples_are_answered_as_documented_on_the_day_they_were_written(
    account: ProviderAccount, issued: IssuedCredentials, example_number: int
) -> None:
    example = seed_example(example_number)
    invoice = invoice_35(account)

    with time_machine.travel(DOCUMENTED_ON, tick=True):
        response = patch(example["request"], issued.token)

    assert response.status_code == example["status"], response.content
    # modulus' error answers carry "object" beside what the example prints
    assert {k: v for k, v in response.json().items() if k in example["response"]} == example["response"]
    if example_number == 2:
        assert response.json()["object"] is None
        assert Invoice.objects.get(pk=invoice.pk).status == "draft"
        assert Delivery.objects.filter(invoice=invoice).count() == 0
        assert invoice_effects() == []


def test_example_2_voids_the_invoice_on_its_date_once_that_date_has_passed(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = invoice_35(account)

    response = patch(seed_example(2)["request"], issued.token)

    assert response.status_code == 200, response.content
    assert response.json() == SUCCESS
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert fresh.status == "void"
    assert fresh.provider_fields["void_date"] == "2025-01-14 19:59:22"
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_VOID on 2025-01-14 19:59:22"]
    assert StatusChange.objects.filter(invoice=invoice).latest("id").door == "api"


def test_the_number_and_date_padded_with_spaces_and_the_id_as_an_integer_are_accepted(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # as the page renders its examples, with a space after the number and the date
    invoice = invoice_35(account, status="open", held="STATUS_SENT")
    body = details(invoice_id=35, status="STATUS_VOID", invoice_number=f" {NUMBER} ", void_date="2025-01-14 19:59:22 ")

    response = patch(body, issued.token)

    assert response.status_code == 200, response.content
    assert Invoice.objects.get(pk=invoice.pk).provider_fields["void_date"] == "2025-01-14 19:59:22"
    assert invoice_effects() == ["invoice 35 STATUS_SENT -> STATUS_VOID on 2025-01-14 19:59:22"]


def test_voiding_without_a_date_voids_now(account: ProviderAccount, issued: IssuedCredentials) -> None:
    invoice = invoice_35(account, status="open", held="STATUS_SENT")

    response = patch(details(status="STATUS_VOID"), issued.token)

    assert response.status_code == 200, response.content
    held = sandbox.stored_invoice(35)
    assert held is not None
    assert held["status"] == "STATUS_VOID"
    assert "void_date" not in Invoice.objects.get(pk=invoice.pk).provider_fields


def test_a_status_the_invoice_already_has_is_still_answered_by_modulus(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = invoice_35(account, status="open", held="STATUS_SENT")

    response = patch(details(), issued.token)

    assert response.status_code == 200, response.content
    assert response.json() == SUCCESS
    assert StatusChange.objects.filter(invoice=invoice).count() == 1  # its creation only
    assert Delivery.objects.get(invoice=invoice).state == DeliveryState.SUCCEEDED


# -- refusals -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ("{not json", "The request body is not valid JSON.", None),
        ("", "The request body is not valid JSON.", None),
        ("[]", "The request body must be a JSON object.", None),
        ({"invoice_id": 35}, "Missing customer_details.", None),
        (details(invoice_id=...), "Invalid invoice id.", None),
        (details(invoice_id="35a"), "Invalid invoice id.", None),
        (details(invoice_id=True), "Invalid invoice id.", None),
        (details(status=...), "Missing status.", 5526),
        (details(status=""), "Missing status.", 5526),
        (details(status="STATUS_PAID"), "Invalid status.", 5505),
        (details(status="status_sent"), "Invalid status.", 5505),
        (details(invoice_number=...), "Missing invoice number.", None),
        (details(invoice_number="  "), "Missing invoice number.", None),
        (details(invoice_id="36"), "Invoice not found.", None),
        (details(invoice_number="INV_2023_01_01_829"), "The invoice number does not match the invoice.", None),
        (details(status="STATUS_VOID", void_date="14/01/2025"), "Invalid void date.", None),
        (
            details(status="STATUS_VOID", void_date="2999-01-01 00:00:00"),
            "The void date cannot be in the future.",
            None,
        ),
    ],
)
def test_an_invalid_request_is_refused_in_modulus_envelope_and_changes_nothing(
    offline: Any, body: Any, message: str, code: int | None
) -> None:
    # given (refused before anything is sent: no sandbox needed)
    invoice, issued = offline()
    before = footprint(invoice)

    # when
    response = patch(body, issued.token)

    # then
    assert response.status_code == 400, response.content
    expected_object = {"error_code": code} if code is not None else None
    assert response.json() == {"result": False, "title": "Error", "message": message, "object": expected_object}
    assert footprint(invoice) == before


def test_a_voided_invoice_cannot_be_sent_again(offline: Any) -> None:
    invoice, issued = offline(status="void")
    before = footprint(invoice)

    response = patch(details(), issued.token)

    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "title": "Error",
        "message": "Invalid status.",
        "object": {"error_code": 5505},
    }
    assert footprint(invoice) == before


def test_a_paid_invoice_cannot_be_voided(offline: Any) -> None:
    invoice, issued = offline(status="paid")

    response = patch(details(status="STATUS_VOID", void_date="2025-01-14 19:59:22"), issued.token)

    assert response.status_code == 400
    assert response.json()["object"] == {"error_code": 5505}
    assert "Paid" in response.json()["message"]
    # the void date recorded on the way is undone with the refused move
    assert Invoice.objects.get(pk=invoice.pk).provider_fields == {}


def test_a_call_without_its_token_is_a_bad_request(offline: Any) -> None:
    invoice, _ = offline()
    before = footprint(invoice)

    response = patch(details(), None)

    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "title": "Bad Request",
        "message": "Authorization token required.",
        "object": None,
    }
    assert footprint(invoice) == before


@pytest.mark.parametrize("credentials", ["wrong", "inactive"])
def test_a_wrong_token_is_refused_and_changes_nothing(offline: Any, credentials: str) -> None:
    invoice, issued = offline()
    token = issued.token
    if credentials == "wrong":
        token = "x" + token
    else:
        ApiClient.objects.filter(pk=issued.client.pk).update(is_active=False)
    before = footprint(invoice)

    response = patch(details(), token)

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN
    assert footprint(invoice) == before


def test_a_read_only_client_cannot_change_an_invoice(offline: Any) -> None:
    invoice, issued = offline(status="draft", role="viewer")
    before = footprint(invoice)

    response = patch(details(), issued.token)

    assert response.status_code == 403
    assert response.json()["result"] is False
    assert footprint(invoice) == before


def test_an_invoice_of_an_account_the_client_may_not_act_on_is_not_found(offline: Any, issue_api_client: Any) -> None:
    invoice, _ = offline(status="draft")
    stranger = issue_api_client(ProviderAccountFactory.create(kind="modulus"))

    response = patch(details(), stranger.token)

    assert (response.status_code, response.json()["message"]) == (400, "Invoice not found.")
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_over_the_size_limit_is_refused_with_413_in_modulus_envelope(offline: Any) -> None:
    invoice, issued = offline(status="draft")
    before = footprint(invoice)

    response = patch(details(note="x" * 4096), issued.token)

    assert response.status_code == 413
    assert response.json()["result"] is False
    assert response.json()["title"] == "Error"
    assert footprint(invoice) == before


@pytest.mark.parametrize("method", ["POST", "GET", "PUT"])
def test_other_methods_are_answered_in_modulus_envelope(offline: Any, method: str) -> None:
    _, issued = offline()

    response = patch(details(), issued.token, method=method)

    assert response.status_code == 405
    assert response.json()["result"] is False


def test_modulus_own_refusal_comes_back_with_its_status_and_code(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given modulus holds the invoice void already, while it is still sent here
    invoice = invoice_35(account, status="open", held="STATUS_VOID")

    # when
    response = patch(details(), issued.token)

    # then
    assert response.status_code == 400, response.content
    assert response.json() == {
        "result": False,
        "title": "Error",
        "message": "Invalid status.",
        "object": {"error_code": 5505},
    }
    assert response["X-Backoffice-Delivery"]
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.FAILED


# -- replays and the budget ---------------------------------------------------------------------------------------
def test_a_replay_with_the_same_idempotency_key_returns_the_first_answer_and_changes_nothing(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = invoice_35(account)
    first = patch(details(), issued.token, headers={"Idempotency-Key": "sent-35"})
    assert first.status_code == 200, first.content
    after_first = footprint(invoice)

    replay = patch(details(), issued.token, headers={"Idempotency-Key": "sent-35"})

    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert footprint(invoice) == after_first


def test_an_idempotency_key_reused_for_another_request_is_refused(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = invoice_35(account)
    assert patch(details(), issued.token, headers={"Idempotency-Key": "k"}).status_code == 200
    before = footprint(invoice)

    response = patch(details(status="STATUS_VOID"), issued.token, headers={"Idempotency-Key": "k"})

    assert response.status_code == 409
    assert response.json()["result"] is False
    assert footprint(invoice) == before


@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_a_slow_modulus_gets_an_accepted_and_queued_answer_and_the_relay_completes_it(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given modulus answering slower than the budget
    invoice = invoice_35(account)
    SandboxFault.objects.update_or_create(kind="modulus", defaults={"latency_ms": 1500})

    # when
    response = patch(seed_example(1)["request"], issued.token)

    # then
    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get(invoice=invoice)
    assert response.json() == {
        "result": True,
        "title": "Accepted",
        "message": "Invoice Status change accepted and queued",
        "object": {"delivery_id": delivery.pk},
    }
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert Invoice.objects.get(pk=invoice.pk).status == "open"

    # and the background attempt (or the relay) carries it to modulus
    SandboxFault.objects.filter(kind="modulus").update(latency_ms=0)
    settle(invoice)
    assert invoice_effects() == ["invoice 35 STATUS_DRAFT -> STATUS_SENT"]
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.SYNCED


# -- the schema ---------------------------------------------------------------------------------------------------
def test_the_schema_documents_the_modulus_mirror_with_the_pages_examples(db: None) -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/modulus/inv/v1/Invoice"]["patch"]
    assert operation["security"] == [{"modulusToken": []}]
    assert schema["components"]["securitySchemes"]["modulusToken"] == {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The API token the back-office issued, passed as modulus' `?token=`.",
    }
    requests = operation["requestBody"]["content"]["application/json"]["examples"]
    sent = [example["value"]["customer_details"]["status"] for example in requests.values()]
    assert sent == ["STATUS_SENT", "STATUS_VOID"]
    answers = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert SUCCESS in [example["value"] for example in answers.values()]
    assert {"200", "202", "400", "401", "413"} <= set(operation["responses"])
