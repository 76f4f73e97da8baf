"""The VTEX mirror over real HTTP: the mirror is called as a VTEX client calls VTEX, and the change it records
reaches the VTEX sandbox (served by the live server) within the delivery budget."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone

from invoices import relay
from invoices.api_clients import IssuedCredentials
from invoices.models import (
    OPEN_DELIVERY_STATES,
    ActorType,
    ApiIdempotencyRecord,
    Delivery,
    DeliveryState,
    Door,
    Invoice,
    StatusChange,
    SyncState,
)
from providers.sandbox.models import SandboxFault, SandboxRequest
from providers.sandbox.vtex import order_state, seed_order
from providers.vtex import mirror as vtex
from providers.vtex import openapi
from providers.vtex.openapi import OpenApiViolation
from tests.factories import ProviderAccountFactory, make_invoice
from tests.providers.faults import effects, script_faults

ORDER_ID = vtex.SEED_ORDER_ID
NOTIFY = f"/api/vtex/oms/pvt/orders/{ORDER_ID}/invoice"
SEED = vtex.SEED_INVOICE_NOTIFICATION
TRACKING = vtex.SEED_TRACKING_UPDATE


@pytest.fixture
def account(sandbox_account: Any) -> Any:
    return sandbox_account("vtex")


@pytest.fixture
def client(account: Any, issue_api_client: Any) -> IssuedCredentials:
    credentials: IssuedCredentials = issue_api_client(account, name="storefront")
    return credentials


@pytest.fixture
def order(account: Any) -> str:
    """The seed's order at VTEX: 100.00 of SKU 1234, ready for handling."""
    seed_order(ORDER_ID, 10000, items=[{"id": "1234", "quantity": 1, "price": 10000}])
    return ORDER_ID


def call(
    credentials: IssuedCredentials | None,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> HttpResponse:
    """A request as a VTEX client sends it, with the credentials the back-office issued."""
    sent = {"Accept": "application/json"}
    if credentials is not None:
        sent |= {"X-VTEX-API-AppKey": credentials.app_key, "X-VTEX-API-AppToken": credentials.app_token}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response: HttpResponse = Client().generic(
        method, path, data, content_type=content_type, headers={**sent, **(headers or {})}
    )
    return response


def in_vtex_terms(response: HttpResponse, template: str, method: str) -> dict[str, Any]:
    """Every answer is VTEX's: its documented receipt (accepted-and-queued too), or its error envelope."""
    answer: dict[str, Any] = json.loads(response.content)
    if response.status_code in (200, 202):
        openapi.validate_response(template, method, 200, answer)
    else:
        assert answer == {"error": {"code": "1", "message": answer["error"]["message"], "exception": None}}
    return answer


def notify(credentials: IssuedCredentials | None, body: Any, order_id: str = ORDER_ID, **kwargs: Any) -> Any:
    response = call(credentials, "POST", f"/api/vtex/oms/pvt/orders/{order_id}/invoice", body, **kwargs)
    return response, in_vtex_terms(response, vtex.INVOICE, "post")


def track(credentials: IssuedCredentials | None, body: Any, number: str, **kwargs: Any) -> Any:
    response = call(credentials, "PATCH", f"{NOTIFY}/{number}", body, **kwargs)
    return response, in_vtex_terms(response, vtex.INVOICE_NUMBER, "patch")


def recorded() -> dict[str, int]:
    """What a refused request must leave as it was."""
    return {
        "invoices": Invoice.objects.count(),
        "history": StatusChange.objects.count(),
        "deliveries": Delivery.objects.count(),
        "sandbox requests": SandboxRequest.objects.filter(kind="vtex").count(),
        "kept answers": ApiIdempotencyRecord.objects.count(),
    }


def packages(order_id: str = ORDER_ID) -> list[dict[str, Any]]:
    state = order_state(order_id)
    assert state is not None
    found: list[dict[str, Any]] = state["packageAttachment"]["packages"]
    return found


def sale(number: str, cents: int = 10000, **fields: Any) -> dict[str, Any]:
    """The seed's notification for another number and value (one SKU 1234 at that value), its nulls left out."""
    items = [{"id": "1234", "price": cents, "quantity": 1}]
    body = {**SEED, "invoiceNumber": number, "invoiceValue": str(cents), "items": items, **fields}
    return {name: value for name, value in body.items() if value is not None}


# -- the invoice notification --------------------------------------------------------------------------------
def test_the_seed_notification_creates_the_invoice_opens_it_and_vtex_invoices_the_order(client, order):
    # the seed's body is sent unchanged; its null courier is the one thing VTEX's OpenAPI file does not allow
    with pytest.raises(OpenApiViolation) as violation:
        openapi.validate_request(vtex.INVOICE, "post", SEED)
    assert violation.value.errors == ["courier: None is not of type 'string'"]

    response, answer = notify(client, SEED)

    assert response.status_code == 200
    assert answer["orderId"] == ORDER_ID
    assert answer["receipt"]
    assert order_state(ORDER_ID)["status"] == "invoiced"
    [package] = packages()
    assert (package["invoiceNumber"], package["invoiceValue"], package["invoiceUrl"]) == ("9999", 10000, "link")
    assert package["issuanceDate"] == "2019-01-31T18:25:43-05:00"
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.remote_number, invoice.invoice_type) == ("9999", "9999", "sale")
    assert (invoice.status, invoice.sync_state, invoice.currency, invoice.total) == (
        "open",
        SyncState.SYNCED,
        "BRL",
        Decimal("100.00"),
    )
    assert invoice.order_ids == [ORDER_ID]
    [line] = invoice.lines.all()
    assert (line.sku, line.description, line.quantity, line.unit_price) == ("1234", "335", 1, Decimal("100.00"))
    [delivery] = invoice.deliveries.all()
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.SUCCEEDED


def test_the_history_shows_the_api_client_through_the_api_door(client, order):
    notify(client, SEED)

    history = StatusChange.objects.order_by("pk")
    assert [(row.from_status, row.to_status) for row in history] == [("", "draft"), ("draft", "open")]
    assert {(row.door, row.actor_type, row.actor_client_id, row.actor_label) for row in history} == {
        (Door.API, ActorType.API_CLIENT, client.client.pk, "api:storefront")
    }


def test_vtexs_documented_example_reaches_vtex_with_its_tracking(client):
    # VTEX's own example: 2499 cents invoiced of two items at 2499, with an embedded invoice and tracking
    seed_order("DFG-01", 4998, items=[{"id": "123", "quantity": 2, "price": 2499}])
    example = vtex.documented_example(vtex.INVOICE, "post")
    openapi.validate_request(vtex.INVOICE, "post", example)

    response, _ = notify(client, example, order_id="DFG-01")

    assert response.status_code == 200
    [package] = packages("DFG-01")
    assert (package["invoiceValue"], package["embeddedInvoice"]) == (2499, example["embeddedInvoice"])
    assert (package["trackingNumber"], package["courier"]) == ("87658", "carrierOne")
    invoice = Invoice.objects.get()
    assert (invoice.discount, invoice.total, invoice.tracking_number) == (Decimal("24.99"), Decimal("24.99"), "87658")
    # VTEX takes the invoice first, then its tracking: the answer is the last call's receipt
    push, tracking = invoice.deliveries.order_by("pk")
    assert (push.operation, tracking.operation) == ("push", "tracking")
    assert {push.state, tracking.state} == {DeliveryState.SUCCEEDED}
    assert response["X-Backoffice-Delivery"] == str(tracking.pk)


def test_the_invoice_takes_the_accounts_currency(sandbox_account, issue_api_client, order):
    account = sandbox_account("vtex", settings={"currency": "USD"})
    credentials = issue_api_client(account)

    notify(credentials, SEED)

    assert (Invoice.objects.get().currency, Invoice.objects.get().total) == ("USD", Decimal("100.00"))


def test_the_same_notification_again_returns_the_first_answer_and_changes_nothing(client, order):
    first, first_answer = notify(client, SEED)
    before = recorded()

    again, again_answer = notify(client, SEED)

    assert again.status_code == 200
    assert again_answer == first_answer
    assert again["Idempotent-Replayed"] == "true"
    assert again["X-Backoffice-Delivery"] == first["X-Backoffice-Delivery"]
    assert recorded() == before


def test_the_invoice_number_sent_again_with_another_body_keeps_the_invoice_as_first_sent(client, order):
    _, first = notify(client, SEED)
    history, vtex_effects = StatusChange.objects.count(), effects("vtex")

    response, answer = notify(client, {**SEED, "invoiceValue": "5000"})

    # as VTEX: a new receipt, and nothing else changes
    assert response.status_code == 200
    assert answer["receipt"] != first["receipt"]
    assert Invoice.objects.get().total == Decimal("100.00")
    assert StatusChange.objects.count() == history
    assert effects("vtex") == vtex_effects
    assert [p["invoiceValue"] for p in packages()] == [10000]


def test_a_notification_for_our_draft_of_the_invoice_fills_it_in_and_opens_it(client, account, order):
    draft = make_invoice(
        account=account,
        number="9999",
        currency="BRL",
        orders=[{"order_id": ORDER_ID}],
        due_date=None,
        lines=[{"sku": "OLD", "description": "Placeholder", "quantity": Decimal("3"), "unit_price": Decimal("1")}],
    )

    response, _ = notify(client, SEED)

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.pk == draft.pk
    assert (invoice.status, invoice.total) == ("open", Decimal("100.00"))
    assert [line.sku for line in invoice.lines.all()] == ["1234"]
    assert [p["invoiceNumber"] for p in packages()] == ["9999"]


def test_a_return_is_refused_in_vtexs_envelope_until_the_order_is_fully_invoiced(client, order):
    refund = sale("R-1", 4000, type="Input")
    openapi.validate_request(vtex.INVOICE, "post", refund)

    refused, error = notify(client, refund)

    assert refused.status_code == 400
    assert "only after the order is fully invoiced" in error["error"]["message"]
    assert packages() == []

    # once VTEX invoiced the whole order, the same return goes through (a refusal is not kept for replays)
    assert notify(client, sale("9999"))[0].status_code == 200
    accepted, _ = notify(client, refund)

    assert accepted.status_code == 200
    assert [(p["invoiceNumber"], p["type"]) for p in packages()] == [("9999", "Output"), ("R-1", "Input")]
    assert effects("vtex")[-1] == f"return invoice R-1 (4000 cents) added to order {ORDER_ID}: refund of 4000 cents"
    assert Invoice.objects.get(remote_number="R-1").invoice_type == "return"


def test_an_order_vtex_already_invoiced_cannot_change_and_vtexs_refusal_comes_back(client):
    seed_order(ORDER_ID, 10000, items=[{"id": "1234", "quantity": 1, "price": 10000}], status="invoiced")

    response, error = notify(client, sale("9999"))

    assert response.status_code == 400
    assert error["error"]["message"] == (
        f"Order {ORDER_ID} is already invoiced: an invoiced order's status cannot change."
    )
    delivery = Delivery.objects.get()
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert delivery.state == DeliveryState.FAILED


def test_a_notification_for_an_invoice_we_voided_is_refused_and_changes_nothing(client, account, order):
    make_invoice(account=account, number="9999", status="void", orders=[{"order_id": ORDER_ID}])
    before = recorded()

    response, error = notify(client, sale("9999"))

    assert response.status_code == 400
    assert error["error"]["message"].startswith("Cannot change an invoice from 'Void' to 'Open (sent)'")
    assert recorded() == before


def test_another_clients_invoice_of_the_same_number_is_not_touched(client, order, sandbox_account, issue_api_client):
    other = issue_api_client(sandbox_account("vtex"), name="marketplace")
    notify(other, sale("9999"))
    theirs = Invoice.objects.get()

    response, _ = notify(client, SEED)

    assert response.status_code == 200
    ours = Invoice.objects.exclude(pk=theirs.pk).get()
    assert ours.account_id == client.client.accounts.get().pk
    assert ours.number.startswith("9999-")
    assert ours.remote_number == "9999"
    assert StatusChange.objects.filter(invoice=theirs).count() == 2


# -- the budget: VTEX answering late -------------------------------------------------------------------------
def settled(delivery_id: int, seconds: float = 15) -> Delivery:
    deadline = time.monotonic() + seconds
    while True:
        delivery = Delivery.objects.get(pk=delivery_id)
        if delivery.state not in OPEN_DELIVERY_STATES or time.monotonic() > deadline:
            return delivery
        time.sleep(0.1)


@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_vtex_answering_late_is_accepted_and_queued_then_the_attempt_completes(client, order):
    SandboxFault.objects.update_or_create(kind="vtex", defaults={"latency_ms": 1500})

    response, answer = notify(client, SEED)

    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert answer == {
        "date": answer["date"],
        "orderId": ORDER_ID,
        "receipt": delivery.idempotency_key,
        "deliveryId": delivery.pk,
    }
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    # the attempt goes on in the background and is recorded like any other
    assert settled(delivery.pk).state == DeliveryState.SUCCEEDED
    assert order_state(ORDER_ID)["status"] == "invoiced"
    # a replay is the first answer, though the delivery went through since
    replay, replayed = notify(client, SEED)
    assert (replay.status_code, replayed) == (202, answer)


@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_vtex_unavailable_is_accepted_and_queued_and_the_relay_completes_it(client, order):
    script_faults("vtex", ["503"])

    response, answer = notify(client, SEED)

    assert response.status_code == 202
    delivery = Delivery.objects.get(pk=answer["deliveryId"])
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert relay.relay(worker="t") == 1
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SUCCEEDED
    assert Invoice.objects.get().sync_state == SyncState.SYNCED
    assert [p["invoiceNumber"] for p in packages()] == ["9999"]


# -- the tracking update -------------------------------------------------------------------------------------
def test_the_seed_tracking_update_reaches_vtex(client, order):
    notify(client, sale(vtex.SEED_INVOICE_NUMBER))
    openapi.validate_request(vtex.INVOICE_NUMBER, "patch", TRACKING)

    response, answer = track(client, TRACKING, vtex.SEED_INVOICE_NUMBER)

    assert response.status_code == 200
    assert answer["orderId"] == ORDER_ID
    [package] = packages()
    assert (package["trackingNumber"], package["courier"], package["trackingUrl"]) == (
        "87658",
        "carrierOne",
        "https://www.tracking.com/url",
    )
    invoice = Invoice.objects.get()
    assert (invoice.tracking_number, invoice.courier) == ("87658", "carrierOne")
    assert invoice.dispatched_at.isoformat() == "2022-02-08T13:16:13.461765+00:00"
    delivery = invoice.deliveries.latest("pk")
    assert (delivery.operation, delivery.state) == ("tracking", DeliveryState.SUCCEEDED)
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)


def test_the_same_tracking_again_is_a_new_receipt_and_changes_nothing(client, order):
    notify(client, sale("9999"))
    _, first = track(client, TRACKING, "9999")
    vtex_effects, invoice = effects("vtex"), Invoice.objects.get()

    response, again = track(client, TRACKING, "9999")

    assert response.status_code == 200
    assert again["receipt"] != first["receipt"]
    assert effects("vtex") == vtex_effects
    assert Invoice.objects.get().version == invoice.version


def test_a_tracking_update_with_an_idempotency_key_is_answered_once(client, order):
    notify(client, sale("9999"))
    key = {"Idempotency-Key": "track-9999-1"}
    _, first = track(client, TRACKING, "9999", headers=key)
    before = recorded()

    replay, replayed = track(client, TRACKING, "9999", headers=key)

    assert (replayed, replay["Idempotent-Replayed"]) == (first, "true")
    assert recorded() == before


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("404040", f"Invoice 404040 not found in order {ORDER_ID}."),
        ("draft-1", f"Invoice draft-1 not found in order {ORDER_ID}: it was not sent to VTEX (it is Draft in the "),
    ],
)
def test_tracking_for_an_invoice_vtex_does_not_hold_is_vtexs_404(client, account, number, message):
    make_invoice(account=account, number="draft-1", orders=[{"order_id": ORDER_ID}])
    before = recorded()

    response, error = track(client, TRACKING, number)

    assert response.status_code == 404
    assert error["error"]["message"].startswith(message)
    assert recorded() == before


def test_tracking_for_an_invoice_of_an_account_the_client_may_not_use_is_unknown(client, order, sandbox_account):
    elsewhere = sandbox_account("vtex")
    make_invoice(account=elsewhere, number="9999", status="open", orders=[{"order_id": ORDER_ID}])

    response, _ = track(client, TRACKING, "9999")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {**TRACKING, "courier": None, "dispatchedDate": None} | {"trackingNumber": None},
            "trackingNumber is required.",
        ),
        ({"trackingNumber": "1", "trackingUrl": None}, "Required field(s) missing: courier, dispatchedDate."),
        ({**TRACKING, "trackingUrl": "not a url"}, "trackingUrl must be an absolute URL (http or https)."),
        ({**TRACKING, "dispatchedDate": "08/02/2022"}, "dispatchedDate must be an ISO 8601 date and time."),
    ],
)
def test_a_tracking_update_vtex_would_refuse_is_its_400(client, order, body, message):
    notify(client, sale("9999"))
    before = recorded()

    response, error = track(client, body, "9999")

    assert (response.status_code, error["error"]["message"]) == (400, message)
    assert recorded() == before


# -- refusals before anything is recorded --------------------------------------------------------------------
@pytest.fixture
def offline_client(db: None, issue_api_client: Any) -> IssuedCredentials:
    """A client of a VTEX account whose requests never get as far as VTEX."""
    credentials: IssuedCredentials = issue_api_client(ProviderAccountFactory(kind="vtex"))
    return credentials


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The body is not valid JSON: Expecting property name enclosed in double quotes (position 1)."),
        ("", "A JSON body is required."),
        ("[]", "The request body must be a JSON object."),
        (sale("9999", invoiceValue=None), "Required field(s) missing: invoiceValue."),
        (sale("9999", type="Sale"), "type must be Output or Input."),
        (
            sale("9999", invoiceValue="100,00"),
            "invoiceValue must be a string of cents greater than 0, without separators.",
        ),
        (
            sale("9999", items=[{"id": "1234", "price": 100.0, "quantity": 1}]),
            "items[0].price must be an integer of at least 0.",
        ),
        (sale("9999", issuanceDate="2019-01-31"), "issuanceDate must carry a time as well as a date."),
        (sale("9999", 10000, invoiceValue="10001"), "invoiceValue (10001) is more than the items add up to (10000)"),
    ],
)
def test_a_notification_vtex_would_refuse_is_its_400_naming_the_field(offline_client, body, message):
    before = recorded()

    response, error = notify(offline_client, body)

    assert response.status_code == 400
    assert error["error"]["message"].startswith(message)
    assert recorded() == before


def test_a_body_that_is_not_json_is_vtexs_415(offline_client):
    response, error = notify(offline_client, "type=Output", content_type="application/x-www-form-urlencoded")

    assert (response.status_code, error["error"]["message"]) == (415, "Content-Type must be application/json.")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=64 * 1024)
def test_a_body_over_the_size_limit_is_vtexs_413(offline_client):
    body = sale("9999", embeddedInvoice="<NFe>" + "x" * 70 * 1024 + "</NFe>")
    before = recorded()

    response, error = notify(offline_client, body)

    assert (response.status_code, error["error"]["message"]) == (413, "The request body is too large.")
    assert recorded() == before


def test_what_vtex_does_not_serve_is_answered_in_its_envelope(offline_client):
    wrong_method = call(offline_client, "GET", NOTIFY)
    unknown = call(offline_client, "POST", f"/api/vtex/oms/pvt/orders/{ORDER_ID}/invoices", SEED)

    assert (wrong_method.status_code, in_vtex_terms(wrong_method, vtex.INVOICE, "post")["error"]["code"]) == (405, "1")
    assert wrong_method["Allow"] == "POST"
    assert unknown.status_code == 404
    assert json.loads(unknown.content)["error"]["message"] == f"No VTEX resource at {NOTIFY}s."


# -- authentication ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-VTEX-API-AppKey": "", "X-VTEX-API-AppToken": ""}, 401),
        ({"X-VTEX-API-AppToken": "wrong"}, 401),
        ({"X-VTEX-API-AppKey": "vtexappkey-unknown"}, 401),
    ],
)
def test_missing_or_wrong_credentials_are_refused_and_change_nothing(client, order, headers, status):
    before = recorded()

    response, error = notify(client, SEED, headers=headers)

    assert response.status_code == status
    assert error["error"]["message"] in (
        "Missing X-VTEX-API-AppKey or X-VTEX-API-AppToken.",
        "Invalid app key or app token.",
    )
    assert recorded() == before


def test_a_deactivated_client_is_refused(client, order):
    client.client.is_active = False
    client.client.save(update_fields=["is_active"])

    assert notify(client, SEED)[0].status_code == 401
    assert packages() == []


def test_a_read_only_client_is_forbidden(account, issue_api_client, order):
    viewer = issue_api_client(account, role="viewer")
    before = recorded()

    response, error = notify(viewer, SEED)

    assert (response.status_code, error["error"]["message"]) == (
        403,
        "Forbidden: this application key is read-only (role viewer).",
    )
    assert track(viewer, TRACKING, "9999")[0].status_code == 403
    assert recorded() == before


def test_a_client_of_no_vtex_account_is_forbidden(sandbox_account, issue_api_client, order):
    rapyd_only = issue_api_client(sandbox_account("rapyd"))
    before = recorded()

    response, error = notify(rapyd_only, SEED)

    assert response.status_code == 403
    assert error["error"]["message"] == "Forbidden: this application key may not act on any VTEX account."
    assert recorded() == before


# -- the API schema and VTEX's own paths ---------------------------------------------------------------------
def test_vtexs_own_paths_under_the_mirrors_base_url_answer_too(client, order):
    response = call(client, "POST", f"/api/vtex/api/oms/pvt/orders/{ORDER_ID}/invoice", SEED)

    assert response.status_code == 200
    assert [p["invoiceNumber"] for p in packages()] == ["9999"]


def test_the_schema_documents_the_mirror_with_vtexs_auth_and_the_seed_examples(db):
    schema = json.loads(Client().get("/api/schema/", {"format": "json"}).content)

    post = schema["paths"]["/api/vtex/oms/pvt/orders/{orderId}/invoice"]["post"]
    patch = schema["paths"]["/api/vtex/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}"]["patch"]
    assert not [path for path in schema["paths"] if path.startswith("/api/vtex/api/")]
    assert post["security"] == [{"vtexAppKey": [], "vtexAppToken": []}]
    assert schema["components"]["securitySchemes"]["vtexAppToken"]["name"] == "X-VTEX-API-AppToken"
    request = post["requestBody"]["content"]["application/json"]
    assert request["examples"]["SeedInvoiceNotification"]["value"] == SEED
    assert request["schema"]["required"] == ["type", "issuanceDate", "invoiceNumber", "invoiceValue", "items"]
    tracking = patch["requestBody"]["content"]["application/json"]
    assert tracking["examples"]["SeedTrackingUpdate"]["value"] == TRACKING
    assert tracking["schema"]["required"] == ["trackingNumber", "trackingUrl", "courier", "dispatchedDate"]
    assert set(post["responses"]) == {"200", "202", "400", "401", "403", "404", "409", "413", "415"}
    assert set(patch["responses"]) == {"200", "202", "400", "401", "403", "404", "409", "413", "415"}
    receipt = post["responses"]["200"]["content"]["application/json"]["examples"]["Receipt"]["value"]
    openapi.validate_response(vtex.INVOICE, "post", 200, receipt)
