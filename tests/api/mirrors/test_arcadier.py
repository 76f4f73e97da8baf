"""The Arcadier mirror over HTTP: the wrapper's payments update and invoice email, recorded here and carried to
the Arcadier sandbox (served by the live server) within the delivery budget."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, override_settings

from invoices import relay
from invoices.api_clients import IssuedCredentials
from invoices.models import ApiClient, Delivery, DeliveryState, Invoice, StatusChange, SyncState
from providers.models import ProviderAccount
from providers.sandbox.arcadier import seed_transaction, sent_emails, transaction_state
from providers.sandbox.models import SandboxFault, SandboxRequest
from tests.factories import ProviderAccountFactory, make_invoice
from tests.providers.arcadier.support import checked_out, guid, seed_payments

ZERO = "00000000-0000-0000-0000-000000000000"
DENIED = {"Message": "Authorization has been denied for this request.", "Code": "UNAUTHORIZED"}


# -- helpers ------------------------------------------------------------------------------------------------------
def invoice_url(ref: str) -> str:
    return f"/api/arcadier/invoice/{ref}"


def send(method: str, ref: str, body: Any, *, bearer: str | None = None, headers: dict[str, str] | None = None) -> Any:
    extra = dict(headers or {})
    if bearer:
        extra["Authorization"] = f"Bearer {bearer}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().generic(method, invoice_url(ref), data, content_type="application/json", headers=extra)


def payments(invoice: Invoice, status: str = "Success", **extra: Any) -> list[dict[str, Any]]:
    """Arcadier's payments array for every order of the invoice, as an Arcadier client writes it."""
    return [
        {
            "InvoiceNo": invoice.remote_number,
            "Payee": {"ID": order.payee_ref},
            "Payer": {"ID": order.payer_ref},
            "Order": {"ID": order.order_id},
            "Status": status,
            "Gateway": {"Code": "stripe"},
            "DateTimePaid": 0,
            **extra,
        }
        for order in invoice.orders.all()
    ]


def footprint(invoice: Invoice) -> tuple[int, int, int, int]:
    """What a refused or replayed call must leave as it was: history, deliveries, version, sandbox traffic."""
    fresh = Invoice.objects.get(pk=invoice.pk)
    return (
        StatusChange.objects.filter(invoice=invoice).count(),
        Delivery.objects.filter(invoice=invoice).count(),
        fresh.version,
        SandboxRequest.objects.filter(kind="arcadier").count(),
    )


def settle(invoice: Invoice, timeout: float = 20.0) -> None:
    """Let the background attempt finish and the relay send what is left, until every delivery went through."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        relay.relay(worker="t", budget_seconds=5)
        states = set(Delivery.objects.filter(invoice=invoice).values_list("state", flat=True))
        if states == {DeliveryState.SUCCEEDED}:
            return
        time.sleep(0.2)
    raise AssertionError(f"deliveries not through: {list(Delivery.objects.filter(invoice=invoice))}")


@pytest.fixture
def account(sandbox_account: Any) -> ProviderAccount:
    return sandbox_account("arcadier")


@pytest.fixture
def issued(issue_api_client: Any, account: ProviderAccount) -> IssuedCredentials:
    return issue_api_client(account)


# -- the wrapper's example ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_the_wrappers_example_is_accepted_unchanged_and_reaches_arcadier(
    account: ProviderAccount, issued: IssuedCredentials, method: str
) -> None:
    # given the checked-out invoice the example names: number 000000000000, its zero GUIDs one order
    order = {"order_id": ZERO, "payee_ref": ZERO, "payer_ref": ZERO}
    invoice = make_invoice(account=account, status="open", currency="USD", orders=[order], remote_number="000000000000")
    seed_transaction("000000000000", orders=[{"order_id": ZERO, "payee_id": ZERO, "payer_id": ZERO, "total": "10"}])
    body = {"token": issued.token, "data": seed_payments()}

    # when
    response = send(method, "000000000000", body)

    # then Arcadier's answer comes back: one payment per item sent
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [p["Order"] for p in answer] == [{"ID": ZERO, "PaymentStatus": "Waiting for Payment"}] * 2
    assert {p["InvoiceNo"] for p in answer} == {"000000000000"}
    assert answer[0]["Gateway"] == {"Code": "string"}
    assert answer[0]["Total"] == 10
    state = transaction_state("000000000000")
    assert state is not None
    assert state["Orders"][0]["PaymentStatus"] == "Waiting for Payment"
    recorded = Invoice.objects.get(pk=invoice.pk).orders.get()
    assert (recorded.payment_status, recorded.gateway) == ("Waiting for Payment", {"Code": "string"})
    delivery = Delivery.objects.get(invoice=invoice)
    assert delivery.state == DeliveryState.SUCCEEDED
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)


def test_paying_every_order_marks_the_invoice_paid_here_and_at_arcadier(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given
    invoice = checked_out(account, status="open")
    body = {"data": payments(invoice, "Success", GatewayTransactionID="ch_999", DateTimePaid=1767225600)}

    # when the token comes as a bearer header instead of in the body
    response = send("PUT", invoice.remote_number, body, bearer=issued.token)

    # then
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [p["Order"]["PaymentStatus"] for p in answer] == ["Paid", "Paid"]
    assert [p["Order"]["ID"] for p in answer] == invoice.order_ids
    assert {p["Status"] for p in answer} == {"Success"}
    assert {p["GatewayTransactionID"] for p in answer} == {"ch_999"}
    assert {p["DateTimePaid"] for p in answer} == {1767225600}
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.sync_state) == ("paid", SyncState.SYNCED)
    assert {o.payment_status for o in fresh.orders.all()} == {"Paid"}
    assert {o.gateway["TransactionID"] for o in fresh.orders.all()} == {"ch_999"}
    state = transaction_state(invoice.remote_number)
    assert state is not None
    assert [o["PaymentStatus"] for o in state["Orders"]] == ["Paid", "Paid"]
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.door) == ("open", "paid", "api")
    assert change.actor_client == issued.client
    assert change.actor_label == f"api:{issued.client.name}"
    assert set(Delivery.objects.filter(invoice=invoice).values_list("state", flat=True)) == {"succeeded"}


def test_a_draft_whose_orders_await_offline_payment_is_sent(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = checked_out(account, status="draft")

    response = send(
        "POST", invoice.remote_number, {"token": issued.token, "data": payments(invoice, "Waiting For Payment")}
    )

    assert response.status_code == 200, response.content
    assert Invoice.objects.get(pk=invoice.pk).status == "open"
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.door, change.actor_client) == (
        "draft",
        "open",
        "api",
        issued.client,
    )


def test_a_draft_paid_at_checkout_is_sent_then_paid(account: ProviderAccount, issued: IssuedCredentials) -> None:
    invoice = checked_out(account, status="draft")

    response = send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice)})

    assert response.status_code == 200, response.content
    moves = list(StatusChange.objects.filter(invoice=invoice, door="api").values_list("from_status", "to_status"))
    assert moves == [("draft", "open"), ("open", "paid")]


def test_a_refund_of_a_paid_invoice_is_carried_to_arcadier(account: ProviderAccount, issued: IssuedCredentials) -> None:
    # given an invoice Arcadier already shows paid
    invoice = checked_out(account, status="open")
    assert send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice)}).status_code == 200

    # when
    response = send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice, "Refunded")})

    # then
    assert response.status_code == 200, response.content
    assert [p["Order"]["PaymentStatus"] for p in response.json()] == ["Refunded", "Refunded"]
    assert Invoice.objects.get(pk=invoice.pk).status == "refunded"
    state = transaction_state(invoice.remote_number)
    assert state is not None
    assert {o["PaymentStatus"] for o in state["Orders"]} == {"Refunded"}


def test_the_invoice_is_also_found_by_the_back_offices_own_number(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = checked_out(account, status="open")

    response = send("PUT", invoice.number, {"token": issued.token, "data": payments(invoice, "Waiting For Payment")})

    assert response.status_code == 200, response.content
    assert {p["InvoiceNo"] for p in response.json()} == {invoice.remote_number}


def test_a_call_that_changes_nothing_here_is_still_answered_by_arcadier(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = checked_out(account, status="open")
    body = {"token": issued.token, "data": payments(invoice, "Waiting For Payment")}
    assert send("PUT", invoice.remote_number, body).status_code == 200
    history = StatusChange.objects.filter(invoice=invoice).count()

    response = send("PUT", invoice.remote_number, body)

    assert response.status_code == 200
    assert [p["Order"]["PaymentStatus"] for p in response.json()] == ["Waiting for Payment"] * 2
    assert StatusChange.objects.filter(invoice=invoice).count() == history
    assert Delivery.objects.filter(invoice=invoice, state=DeliveryState.SUCCEEDED).count() == 2


# -- refusals -----------------------------------------------------------------------------------------------------
def _item(invoice: Invoice, **changes: Any) -> list[dict[str, Any]]:
    items = payments(invoice)
    items[0].update(changes)
    return items


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda inv: "{not json", "INVALID_JSON"),
        (lambda inv: json.dumps({"data": {"Order": {}}}), "INVALID_BODY"),
        (lambda inv: json.dumps({"data": []}), "INVALID_BODY"),
        (lambda inv: json.dumps({"payments": []}), "INVALID_BODY"),
        (lambda inv: json.dumps({"data": ["payment"]}), "INVALID_PAYMENT"),
        (lambda inv: json.dumps({"data": _item(inv, Order={"ID": "not-a-guid"})}), "INVALID_GUID"),
        (lambda inv: json.dumps({"data": _item(inv, Payer={"ID": 7})}), "INVALID_GUID"),
        (lambda inv: json.dumps({"data": _item(inv, Order={"ID": guid()})}), "ORDER_NOT_IN_INVOICE"),
        (lambda inv: json.dumps({"data": _item(inv, Status="Paid in full")}), "INVALID_STATUS"),
        (lambda inv: json.dumps({"data": _item(inv, Status=None)}), "INVALID_STATUS"),
        (lambda inv: json.dumps({"data": _item(inv, InvoiceNo="999")}), "INVOICE_MISMATCH"),
        (lambda inv: json.dumps({"data": _item(inv, Payee={"ID": guid()})}), "PAYEE_MISMATCH"),
        (lambda inv: json.dumps({"data": _item(inv, DateTimePaid="yesterday")}), "INVALID_DATE"),
        (lambda inv: json.dumps({"data": _item(inv, Total=-1)}), "INVALID_AMOUNT"),
        (lambda inv: json.dumps({"data": _item(inv, Refunded="yes")}), "INVALID_PAYMENT"),
        (lambda inv: json.dumps({"data": _item(inv, Gateway="stripe")}), "INVALID_PAYMENT"),
        (lambda inv: json.dumps({"data": _item(inv, Status="Waiting For Payment")}), "MIXED_PAYMENT_STATUSES"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_an_invalid_payments_array_is_refused_in_arcadiers_envelope_and_changes_nothing(
    issue_api_client: Any, build: Any, code: str
) -> None:
    # given (refused before anything is sent: no sandbox needed)
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="open", seed=False)
    before = footprint(invoice)

    # when
    response = send("PUT", invoice.remote_number, build(invoice), bearer=issued.token)

    # then
    assert response.status_code == 400, response.content
    answer = response.json()
    assert set(answer) == {"Message", "Code"}
    assert answer["Code"] == code
    assert footprint(invoice) == before


def test_a_move_the_lifecycle_forbids_is_refused(issue_api_client: Any) -> None:
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="void", seed=False)
    before = footprint(invoice)

    response = send("PUT", invoice.remote_number, {"data": payments(invoice)}, bearer=issued.token)

    assert response.status_code == 400
    assert response.json()["Code"] == "INVALID_STATUS_CHANGE"
    assert "Void" in response.json()["Message"]
    assert footprint(invoice) == before


def test_the_orders_of_settled_payments_cannot_change_any_more(issue_api_client: Any) -> None:
    # Arcadier's rule as the adapter states it: once paid there, an invoice's orders are history
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="paid", seed=False)
    before = footprint(invoice)

    response = send("PUT", invoice.remote_number, {"data": payments(invoice, Fee=2)}, bearer=issued.token)

    assert response.status_code == 400
    assert response.json()["Code"] == "NOT_ALLOWED"
    assert footprint(invoice) == before


def test_an_unknown_invoice_is_not_found(issue_api_client: Any) -> None:
    issued = issue_api_client(ProviderAccountFactory.create(kind="arcadier"))

    response = send("PUT", "AR404", {"data": []}, bearer=issued.token)

    assert response.status_code == 404
    assert response.json() == {"Message": "No invoice AR404 was found.", "Code": "INVOICE_NOT_FOUND"}


def test_an_invoice_of_an_account_the_client_may_not_act_on_is_not_found(issue_api_client: Any) -> None:
    theirs = ProviderAccountFactory.create(kind="arcadier")
    invoice = checked_out(theirs, status="open", seed=False)
    issued = issue_api_client(ProviderAccountFactory.create(kind="arcadier"))

    response = send("PUT", invoice.remote_number, {"data": payments(invoice)}, bearer=issued.token)

    assert response.status_code == 404
    assert Delivery.objects.filter(invoice=invoice).count() == 0


@pytest.mark.parametrize("credentials", ["none", "wrong-body-token", "wrong-bearer", "inactive"])
def test_missing_or_wrong_credentials_are_refused_and_change_nothing(issue_api_client: Any, credentials: str) -> None:
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="open", seed=False)
    before = footprint(invoice)
    body: dict[str, Any] = {"data": payments(invoice)}
    bearer = None
    if credentials == "wrong-body-token":
        body["token"] = issued.token + "x"
    elif credentials == "wrong-bearer":
        bearer = "not-a-token"
    elif credentials == "inactive":
        ApiClient.objects.filter(pk=issued.client.pk).update(is_active=False)
        body["token"] = issued.token

    response = send("PUT", invoice.remote_number, body, bearer=bearer)

    assert response.status_code == 401
    assert response.json() == DENIED
    assert footprint(invoice) == before


def test_a_read_only_client_cannot_change_an_invoice(issue_api_client: Any) -> None:
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account, role="viewer")
    invoice = checked_out(account, status="open", seed=False)
    before = footprint(invoice)

    response = send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice)})

    assert response.status_code == 403
    assert response.json()["Code"] == "FORBIDDEN"
    assert footprint(invoice) == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_over_the_size_limit_is_refused_with_413_in_arcadiers_envelope(issue_api_client: Any) -> None:
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="open", seed=False)
    before = footprint(invoice)
    body = {"token": issued.token, "data": payments(invoice, GatewayPayload="x" * 5000)}

    response = send("PUT", invoice.remote_number, body)

    assert response.status_code == 413
    assert response.json()["Code"] == "PAYLOAD_TOO_LARGE"
    assert footprint(invoice) == before


def test_an_unsupported_method_is_answered_in_arcadiers_envelope(issue_api_client: Any) -> None:
    issued = issue_api_client(ProviderAccountFactory.create(kind="arcadier"))

    response = send("DELETE", "AR1", "", bearer=issued.token)

    assert response.status_code == 405
    assert response.json()["Code"] == "METHOD_NOT_ALLOWED"


def test_arcadiers_own_refusal_comes_back_with_its_status_and_code(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given an invoice Arcadier does not know
    invoice = checked_out(account, status="open", seed=False)

    # when
    response = send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice)})

    # then the change is recorded here, and Arcadier's refusal is the answer
    assert response.status_code == 404, response.content
    assert response.json() == {
        "Message": f"No invoice {invoice.remote_number} was found.",
        "Code": "INVOICE_NOT_FOUND",
    }
    delivery = Delivery.objects.filter(invoice=invoice).earliest("id")
    assert delivery.state == DeliveryState.FAILED
    assert response["X-Backoffice-Delivery"]
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.FAILED


# -- replays and the budget ---------------------------------------------------------------------------------------
def test_a_replay_with_the_same_idempotency_key_returns_the_first_answer_and_changes_nothing(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    invoice = checked_out(account, status="open")
    body = {"token": issued.token, "data": payments(invoice)}
    first = send("PUT", invoice.remote_number, body, headers={"Idempotency-Key": "pay-1"})
    assert first.status_code == 200, first.content
    after_first = footprint(invoice)

    replay = send("PUT", invoice.remote_number, body, headers={"Idempotency-Key": "pay-1"})

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["X-Backoffice-Delivery"] == first["X-Backoffice-Delivery"]
    assert footprint(invoice) == after_first


@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_a_slow_arcadier_gets_an_accepted_and_queued_answer_and_the_relay_completes_it(
    account: ProviderAccount, issued: IssuedCredentials
) -> None:
    # given Arcadier answering slower than the budget
    invoice = checked_out(account, status="open")
    SandboxFault.objects.update_or_create(kind="arcadier", defaults={"latency_ms": 1500})

    # when
    response = send("PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice)})

    # then 202, in Arcadier's shape, naming the delivery
    assert response.status_code == 202, response.content
    delivery_id = int(response["X-Backoffice-Delivery"])
    answer = response.json()
    assert {p["DeliveryID"] for p in answer} == {delivery_id}
    assert [p["Order"]["PaymentStatus"] for p in answer] == ["Paid", "Paid"]
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    # and the background attempt and the relay carry it to Arcadier
    SandboxFault.objects.filter(kind="arcadier").update(latency_ms=0)
    settle(invoice)
    state = transaction_state(invoice.remote_number)
    assert state is not None
    assert {o["PaymentStatus"] for o in state["Orders"]} == {"Paid"}
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.SYNCED


# -- the invoice email --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["query", "bearer"])
def test_the_invoice_email_is_sent_by_arcadier(account: ProviderAccount, issued: IssuedCredentials, auth: str) -> None:
    invoice = checked_out(account, status="open")
    url = f"/api/arcadier/email/{invoice.remote_number}"

    if auth == "query":
        response = Client().get(url, {"token": issued.token})
    else:
        response = Client().get(url, headers={"Authorization": f"Bearer {issued.token}"})

    assert response.status_code == 200, response.content
    assert response.json() == {"Result": True}
    assert len(sent_emails(invoice.remote_number)) == 1
    delivery = Delivery.objects.get(invoice=invoice)
    assert (delivery.operation, delivery.state) == ("email", DeliveryState.SUCCEEDED)
    assert delivery.requested_by == f"api:{issued.client.name}"


@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_a_slow_invoice_email_is_accepted_and_queued(account: ProviderAccount, issued: IssuedCredentials) -> None:
    invoice = checked_out(account, status="open")
    SandboxFault.objects.update_or_create(kind="arcadier", defaults={"latency_ms": 1500})

    response = Client().get(f"/api/arcadier/email/{invoice.remote_number}", {"token": issued.token})

    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get(invoice=invoice)
    assert response.json() == {"Result": True, "DeliveryID": delivery.pk}
    SandboxFault.objects.filter(kind="arcadier").update(latency_ms=0)
    settle(invoice)
    assert len(sent_emails(invoice.remote_number)) == 1


def test_the_invoice_email_needs_a_valid_token_and_a_known_invoice(issue_api_client: Any) -> None:
    account = ProviderAccountFactory.create(kind="arcadier")
    issued = issue_api_client(account)
    invoice = checked_out(account, status="open", seed=False)

    missing = Client().get(f"/api/arcadier/email/{invoice.remote_number}")
    wrong = Client().get(f"/api/arcadier/email/{invoice.remote_number}", {"token": "nope"})
    unknown = Client().get("/api/arcadier/email/AR404", {"token": issued.token})

    assert (missing.status_code, missing.json()) == (401, DENIED)
    assert (wrong.status_code, wrong.json()) == (401, DENIED)
    assert (unknown.status_code, unknown.json()["Code"]) == (404, "INVOICE_NOT_FOUND")
    assert Delivery.objects.filter(invoice=invoice).count() == 0


# -- the schema ---------------------------------------------------------------------------------------------------
def test_the_schema_documents_the_arcadier_mirror_with_the_wrappers_example(db: None) -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()

    update = schema["paths"]["/api/arcadier/invoice/{invoiceId}"]
    assert set(update) >= {"put", "post"}
    put = update["put"]
    assert put["security"] == [{"arcadierBearer": []}]
    examples = put["requestBody"]["content"]["application/json"]["examples"]
    documented = next(iter(examples.values()))["value"]
    assert documented["data"] == seed_payments()
    assert {"200", "202", "400", "401", "404", "413"} <= set(put["responses"])
    email = schema["paths"]["/api/arcadier/email/{invoiceId}"]["get"]
    assert {"arcadierQueryToken": []} in email["security"]
    assert "arcadierBearer" in schema["components"]["securitySchemes"]


def test_amounts_in_the_answer_are_exact_numbers(account: ProviderAccount, issued: IssuedCredentials) -> None:
    invoice = checked_out(account, status="open")

    response = send(
        "PUT", invoice.remote_number, {"token": issued.token, "data": payments(invoice, Total=12.5, Fee=0.3)}
    )

    assert response.status_code == 200, response.content
    # Arcadier's answer, in the invoice's currency: never through float
    assert b'"Total":12.50,"Fee":0.30,' in response.content
    assert {o.fee for o in Invoice.objects.get(pk=invoice.pk).orders.all()} == {Decimal("0.3")}
