"""The generic invoicing API mirror: the full-replace UpdateInvoice, recorded here and delivered to the sandbox.

The mirror is called with Django's test client; the generic account points at the sandbox served by live_server,
so the queued delivery really reaches the emulator within the budget.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client, override_settings
from django.utils import timezone

from invoices import relay
from invoices.models import ActorType, Delivery, DeliveryState, Door, Invoice, StatusChange
from providers.jsonnumbers import dumps_compact
from providers.models import ProviderAccount
from providers.sandbox import generic as emulator
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxFault
from tests.factories import make_invoice
from tests.providers.faults import effects, script_faults

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
UPDATE = "/api/generic/v1/Invoice/Update"


def seed_text() -> str:
    return (SEEDS / "generic_update_full.json").read_text()


def seed_body(**changes: Any) -> dict[str, Any]:
    body = json.loads(seed_text(), parse_float=Decimal)
    body.update(changes)
    return body


def dumps(body: Any) -> str:
    """The body as a client writes it, numbers exact."""
    return dumps_compact(body)


def parsed(response: Any) -> Any:
    return json.loads(response.content, parse_float=Decimal)


@pytest.fixture
def account(sandbox_account: Any) -> ProviderAccount:
    return sandbox_account("generic")


@pytest.fixture
def credentials(account: ProviderAccount, issue_api_client: Any) -> Any:
    return issue_api_client(account)


def put(token: str | None, body: str | bytes, *, path: str = UPDATE, **headers: str) -> Any:
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {token}")
    content_type = headers.pop("content_type", "application/json")
    return Client().put(path, body, content_type=content_type, headers=headers)


def invoice_known_to_the_api(account: ProviderAccount, *, seeded: bool = True, **fields: Any) -> Invoice:
    """Our invoice with the seed's ids, held by the sandbox too (the API has no create endpoint)."""
    seed = seed_body()
    if seeded:
        emulator.seed_invoice(
            seed["id"], counter_party_id=seed["counterPartyId"], receiving_account_id=seed["receivingAccountId"]
        )
    fields.setdefault("status", "open")
    return make_invoice(
        account=account,
        currency="USD",
        remote_id=seed["id"],
        customer_ref=seed["counterPartyId"],
        receiving_account_ref=seed["receivingAccountId"],
        **fields,
    )


@pytest.fixture
def invoice(account: ProviderAccount) -> Invoice:
    return invoice_known_to_the_api(account)


def assert_refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    envelope = parsed(response)
    assert set(envelope) == {"succeeded", "message", "errors", "data"}
    assert envelope["succeeded"] is False
    assert envelope["data"] is None
    assert envelope["message"]
    assert envelope["errors"]
    return envelope


def assert_nothing_changed(invoice: Invoice) -> None:
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.version, fresh.status, fresh.total) == (invoice.version, invoice.status, invoice.total)
    assert not Delivery.objects.filter(invoice=invoice).exists()
    assert StatusChange.objects.filter(invoice=invoice).count() == 1  # its creation
    assert effects("generic") == []


def wait_until_done(delivery_id: int, timeout: float = 15.0) -> Delivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = Delivery.objects.get(pk=delivery_id)
        if delivery.state not in (DeliveryState.PENDING, DeliveryState.SENDING):
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery_id} still {delivery.state}")


# -- the documented example -------------------------------------------------------------------------------------
def test_the_documented_update_replaces_the_invoice_and_answers_with_the_apis_result(
    credentials: Any, invoice: Invoice
) -> None:
    # when the seed's body is sent unchanged
    response = put(credentials.token, seed_text())

    # then the API's own answer, amount exact
    assert response.status_code == 200, response.content
    envelope = parsed(response)
    assert envelope == {
        "succeeded": True,
        "message": "Invoice updated successfully.",
        "errors": [],
        "data": {"invoiceId": invoice.remote_id, "amount": Decimal("136.29"), "status": "Pending"},
    }
    assert b'"amount":136.29' in response.content
    # recorded here: lines from products, taxes as line rates, discount, due date, names and enums
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert [(line.sku, line.quantity, line.unit_price, line.tax_rate) for line in fresh.lines.all()] == [
        ("0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b", Decimal("2"), Decimal("10.5"), Decimal("17.5")),
        ("5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", Decimal("1"), Decimal("99.99"), Decimal("17.5")),
    ]
    assert (fresh.discount, fresh.subtotal, fresh.due_date) == (Decimal("5"), Decimal("120.99"), dt.date(2026, 12, 1))
    assert (fresh.customer_name, fresh.description, fresh.currency) == ("Ada Lovelace", "November services", "USD")
    assert fresh.provider_fields["accountName"] == "Main receivables"
    assert fresh.provider_fields["taxes"][1] == {
        "taxId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
        "taxPercentageValue": "2.5",
    }
    assert {k: fresh.provider_fields[k] for k in ("billingCycle", "paymentMethods", "onDueDate")} == {
        "billingCycle": 6,
        "paymentMethods": [1, 2],
        "onDueDate": True,
    }
    # and delivered to the API once, as the same body
    delivery = Delivery.objects.get(invoice=invoice)
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.requested_by == f"api:{credentials.client.name}"
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    stored = emulator.stored_invoice(invoice.remote_id)
    assert stored is not None
    sent = seed_body()
    for name in ("counterPartyName", "accountName", "billingCycle", "paymentMethods", "notification", "onDueDate"):
        assert stored[name] == sent[name], name
    assert [(p["productId"], p["quantity"]) for p in stored["products"]] == [
        (p["productId"], p["quantity"]) for p in sent["products"]
    ]
    assert stored["amount"] == "136.29"
    assert len(effects("generic")) == 1


def test_the_seed_headers_accept_text_plain_and_a_text_json_body_are_served(credentials: Any, invoice: Invoice) -> None:
    response = put(credentials.token, seed_text(), content_type="text/json", Accept="text/plain")

    assert response.status_code == 200, response.content
    assert parsed(response)["succeeded"] is True


def test_a_client_appending_the_apis_whole_path_to_its_base_url_is_served_too(
    credentials: Any, invoice: Invoice
) -> None:
    response = put(credentials.token, seed_text(), path="/api/generic/api/v1/Invoice/Update")

    assert response.status_code == 200, response.content
    assert parsed(response)["data"]["invoiceId"] == invoice.remote_id


def test_products_keep_our_skus_where_the_invoice_maps_them(credentials: Any, account: ProviderAccount) -> None:
    seed = seed_body()
    product_ids = {"WIDGET": seed["products"][0]["productId"], "SUPPORT": seed["products"][1]["productId"]}
    invoice = invoice_known_to_the_api(
        account,
        lines=[
            {"sku": "WIDGET", "description": "Widget", "quantity": Decimal("1"), "unit_price": Decimal("10.5")},
            {"sku": "SUPPORT", "description": "Support", "quantity": Decimal("1"), "unit_price": Decimal("99.99")},
        ],
        provider_fields={"productIds": product_ids},
    )

    response = put(credentials.token, seed_text())

    assert response.status_code == 200, response.content
    lines = list(Invoice.objects.get(pk=invoice.pk).lines.values_list("sku", "description", "quantity"))
    assert lines == [("WIDGET", "Widget", Decimal("2")), ("SUPPORT", "Support", Decimal("1"))]
    stored = emulator.stored_invoice(invoice.remote_id)
    assert [p["productId"] for p in stored["products"]] == list(product_ids.values())  # type: ignore[index]


def test_the_same_replace_sent_again_changes_nothing_more(credentials: Any, invoice: Invoice) -> None:
    put(credentials.token, seed_text())
    version = Invoice.objects.get(pk=invoice.pk).version

    again = put(credentials.token, seed_text())

    assert again.status_code == 200, again.content
    envelope = parsed(again)
    assert envelope["succeeded"] is True
    assert envelope["data"]["invoiceId"] == invoice.remote_id
    assert Invoice.objects.get(pk=invoice.pk).version == version
    assert Delivery.objects.filter(invoice=invoice).count() == 1


def test_the_currency_number_maps_back_through_the_accounts_currency_codes(
    sandbox_account: Any, issue_api_client: Any
) -> None:
    account = sandbox_account("generic", settings={"currency_codes": {"USD": 1, "EUR": 2}})
    invoice = invoice_known_to_the_api(account)
    token = issue_api_client(account).token

    response = put(token, dumps(seed_body(currency=2)))

    assert response.status_code == 200, response.content
    assert Invoice.objects.get(pk=invoice.pk).currency == "EUR"
    assert emulator.stored_invoice(invoice.remote_id)["currency"] == 2  # type: ignore[index]


# -- status moves -----------------------------------------------------------------------------------------------
def test_a_status_word_moves_the_invoice_and_history_names_the_api_and_the_client(
    credentials: Any, invoice: Invoice
) -> None:
    response = put(credentials.token, dumps(seed_body(status="Void")))

    assert response.status_code == 200, response.content
    assert parsed(response)["data"]["status"] == "Void"
    assert Invoice.objects.get(pk=invoice.pk).status == "void"
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.door) == ("open", "void", Door.API)
    assert (change.actor_type, change.actor_client_id) == (ActorType.API_CLIENT, credentials.client.pk)
    assert change.actor_label == f"api:{credentials.client.name}"
    assert emulator.stored_invoice(invoice.remote_id)["status"] == "Void"  # type: ignore[index]
    assert all(d.state == DeliveryState.SUCCEEDED for d in Delivery.objects.filter(invoice=invoice))


def test_an_illegal_status_move_is_400_naming_both_statuses_and_changes_nothing(
    credentials: Any, account: ProviderAccount
) -> None:
    invoice = invoice_known_to_the_api(account, status="paid")

    response = put(credentials.token, dumps(seed_body(status="Pending", description="changed too")))

    envelope = assert_refused(response, 400)
    assert envelope["message"] == "One or more validation errors occurred."
    assert envelope["errors"] == [
        "$.status: the invoice cannot go from Paid to Pending (allowed from there: Refunded)."
    ]
    assert_nothing_changed(invoice)
    assert Invoice.objects.get(pk=invoice.pk).description == ""


def test_an_unknown_status_word_is_a_validation_error(credentials: Any, invoice: Invoice) -> None:
    response = put(credentials.token, dumps(seed_body(status="Archived")))

    envelope = assert_refused(response, 400)
    assert envelope["errors"][0].startswith("$.status: unknown status 'Archived'")
    assert_nothing_changed(invoice)


# -- the API's refusals -----------------------------------------------------------------------------------------
def broken(**changes: Any) -> dict[str, Any]:
    body = seed_body()
    for dotted, value in changes.items():
        target: Any = body
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DROP:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return body


_DROP = object()
INVALID = {
    "product-id": (broken(products__0__productId="SKU-1"), ["$.products[0].productId: a uuid is required."]),
    "quantity": (broken(products__1__quantity=0), ["$.products[1].quantity: an integer greater than 0 is required."]),
    "fractional-quantity": (
        broken(products__0__quantity=Decimal("1.5")),
        ["$.products[0].quantity: an integer greater than 0 is required."],
    ),
    "unit-price": (
        broken(products__0__unitPrice="10.5"),
        ["$.products[0].unitPrice: a number of at least 0 is required."],
    ),
    "tax": (broken(taxes__0__taxPercentageValue=None), ["$.taxes[0].taxPercentageValue: a number is required."]),
    "currency-missing": (broken(currency=_DROP), ["$.currency: the currency field is required."]),
    "currency-text": (broken(currency="USD"), ["$.currency: an integer is required."]),
    "ids": (
        broken(id="42", counterPartyId=None),
        ["$.id: a uuid is required.", "$.counterPartyId: a uuid is required."],
    ),
    "due-date": (broken(dueDate="next week"), ["$.dueDate: a date-time (ISO 8601) is required."]),
    "enums": (broken(paymentMethods=["card"], onDueDate="yes"), None),
    "discount": (
        broken(discount__discountValue=-1),
        ["$.discount: an integer discountType and a discountValue of at least 0 are required."],
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_body_the_api_would_refuse_is_400_with_each_problem_as_the_api_lists_them(
    credentials: Any, invoice: Invoice, sandbox_url: str, case: str
) -> None:
    body, expected = INVALID[case]

    response = put(credentials.token, dumps(body))

    envelope = assert_refused(response, 400)
    assert envelope["message"] == "One or more validation errors occurred."
    if expected is not None:
        assert envelope["errors"] == expected
    assert_nothing_changed(invoice)
    # the same request, sent to the emulated API, is refused with the same list
    at_api = send_to_sandbox(sandbox_url, dumps(body))
    assert (at_api.status_code, at_api.json()["errors"]) == (400, envelope["errors"])


def send_to_sandbox(sandbox_url: str, body: str) -> requests.Response:
    token = sandbox_credentials("generic")["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return requests.put(f"{sandbox_url}/generic/api/v1/Invoice/Update", data=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ('{"id": ', ["The request body is not valid JSON."]),
        ("", ["$: the body must be a JSON object (UpdateInvoice)."]),
        ("[1, 2]", ["$: the body must be a JSON object (UpdateInvoice)."]),
    ],
    ids=["malformed", "empty", "array"],
)
def test_a_body_that_is_no_update_model_is_400_in_the_envelope(
    credentials: Any, invoice: Invoice, body: str, errors: list[str]
) -> None:
    envelope = assert_refused(put(credentials.token, body), 400)

    assert envelope["errors"] == errors
    assert_nothing_changed(invoice)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"currency": 7}, "$.currency: 7 is not a currency this account maps (settings currency_codes)."),
        (
            {"discount": {"discountType": 1, "discountValue": 10}},
            "$.discount.discountType: only type 2 (a fixed amount off the invoice) is accepted; "
            "the meaning of type 1 is not configured.",
        ),
        (
            {"taxes": [{"taxId": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "taxPercentageValue": 101}]},
            "$.taxes: the tax percentages add up to more than 100.",
        ),
        (
            {"discount": {"discountType": 2, "discountValue": 500}},
            "$.discount.discountValue: The discount cannot exceed the subtotal of the lines.",
        ),
        ({"dueDate": "2026-10-01T00:00:00"}, "$.dueDate: The due date cannot be before the issue date."),
        (
            {
                "products": [
                    {
                        "productId": "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
                        "quantity": 1,
                        "unitPrice": Decimal("1.23456"),
                    }
                ]
            },
            "$.products[0].unitPrice: Ensure that there are no more than 4 decimal places.",
        ),
    ],
    ids=[
        "currency-unmapped",
        "discount-type",
        "taxes-over-100",
        "discount-over-subtotal",
        "due-before-issue",
        "unit-price-precision",
    ],
)
def test_what_cannot_be_said_in_our_terms_is_a_400_naming_the_member(
    credentials: Any, invoice: Invoice, changes: dict[str, Any], problem: str
) -> None:
    envelope = assert_refused(put(credentials.token, dumps(seed_body(**changes))), 400)

    assert envelope["errors"] == [problem]
    assert_nothing_changed(invoice)


def test_an_unknown_invoice_id_is_404_in_the_envelope(credentials: Any, invoice: Invoice) -> None:
    body = seed_body(id="00000000-0000-4000-8000-000000000000")

    envelope = assert_refused(put(credentials.token, dumps(body)), 404)

    assert envelope["message"] == "Invoice not found."
    assert envelope["errors"] == ["No invoice with id 00000000-0000-4000-8000-000000000000."]
    assert_nothing_changed(invoice)


def test_an_invoice_of_an_account_the_client_may_not_act_on_is_unknown_to_it(
    sandbox_account: Any, issue_api_client: Any, invoice: Invoice
) -> None:
    stranger = issue_api_client(sandbox_account("generic"))

    assert_refused(put(stranger.token, seed_text()), 404)
    assert_nothing_changed(invoice)


def test_the_apis_own_refusal_within_the_budget_is_passed_on_as_it_wrote_it(
    credentials: Any, account: ProviderAccount
) -> None:
    # given an invoice here that the API does not hold
    invoice = invoice_known_to_the_api(account, seeded=False)

    response = put(credentials.token, seed_text())

    envelope = assert_refused(response, 404)
    assert envelope["errors"] == [f"No invoice with id {invoice.remote_id}."]
    assert Delivery.objects.get(invoice=invoice).state == DeliveryState.FAILED


def test_a_body_over_the_size_limit_is_413_in_the_envelope(credentials: Any, invoice: Invoice) -> None:
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=256):
        response = put(credentials.token, seed_text())

    assert_refused(response, 413)
    assert_nothing_changed(invoice)


def test_another_method_is_refused_in_the_envelope(credentials: Any) -> None:
    response = Client().get(UPDATE, headers={"Authorization": f"Bearer {credentials.token}"})

    assert_refused(response, 405)


# -- authentication ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"X-Api-Key": "nope"}],
    ids=["none", "wrong-token", "other-scheme", "wrong-api-key"],
)
def test_missing_or_wrong_credentials_are_401_and_change_nothing(invoice: Invoice, headers: dict[str, str]) -> None:
    response = put(None, seed_text(), **headers)

    envelope = assert_refused(response, 401)
    assert envelope["message"] == "Unauthorized."
    assert response["WWW-Authenticate"] == 'Bearer realm="invoices"'
    assert_nothing_changed(invoice)


def test_the_token_is_also_accepted_as_an_api_key_header(credentials: Any, invoice: Invoice) -> None:
    response = put(None, seed_text(), **{"X-Api-Key": credentials.token})

    assert response.status_code == 200, response.content


def test_a_read_only_client_may_not_update(account: ProviderAccount, issue_api_client: Any, invoice: Invoice) -> None:
    viewer = issue_api_client(account, role="viewer")

    envelope = assert_refused(put(viewer.token, seed_text()), 403)

    assert envelope["message"] == "Forbidden."
    assert_nothing_changed(invoice)


# -- idempotency ------------------------------------------------------------------------------------------------
def test_a_replay_with_the_same_idempotency_key_returns_the_first_answer_and_changes_nothing(
    credentials: Any, invoice: Invoice
) -> None:
    body = dumps(seed_body(status="Void"))
    first = put(credentials.token, body, **{"Idempotency-Key": "idem-generic-0001"})
    version = Invoice.objects.get(pk=invoice.pk).version

    again = put(credentials.token, body, **{"Idempotency-Key": "idem-generic-0001"})

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.get(pk=invoice.pk).version == version
    assert StatusChange.objects.filter(invoice=invoice, door=Door.API).count() == 1
    assert len(effects("generic")) == 1


def test_an_idempotency_key_reused_with_another_body_is_409(credentials: Any, invoice: Invoice) -> None:
    put(credentials.token, seed_text(), **{"Idempotency-Key": "idem-generic-0002"})

    response = put(credentials.token, dumps(seed_body(description="other")), **{"Idempotency-Key": "idem-generic-0002"})

    assert_refused(response, 409)


# -- the budget -------------------------------------------------------------------------------------------------
@override_settings(MIRROR_DELIVERY_BUDGET_SECONDS=0.5)
def test_a_slow_api_gets_202_accepted_and_queued_and_the_background_attempt_completes_it(
    credentials: Any, invoice: Invoice
) -> None:
    SandboxFault.objects.update_or_create(kind="generic", defaults={"latency_ms": 1500})

    response = put(credentials.token, seed_text())

    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get(invoice=invoice)
    assert parsed(response) == {
        "succeeded": True,
        "message": "Accepted and queued for delivery",
        "errors": [],
        # our total: tax per line before the fixed discount (the API taxes after it: 136.29)
        "data": {"invoiceId": invoice.remote_id, "amount": Decimal("137.17"), "deliveryId": delivery.pk},
    }
    assert response["X-Backoffice-Delivery"] == str(delivery.pk)
    assert wait_until_done(delivery.pk).state == DeliveryState.SUCCEEDED
    assert emulator.stored_invoice(invoice.remote_id)["amount"] == "136.29"  # type: ignore[index]


def test_a_delivery_the_api_could_not_take_now_is_completed_by_the_relay(credentials: Any, invoice: Invoice) -> None:
    script_faults("generic", ["503"], retry_after_s=1)

    response = put(credentials.token, dumps(seed_body(status="Paid")))

    assert response.status_code == 202, response.content
    assert parsed(response)["message"] == "Accepted and queued for delivery"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    Delivery.objects.filter(invoice=invoice).update(next_attempt_at=timezone.now())
    relay.relay(worker="t", budget_seconds=30)
    assert set(Delivery.objects.filter(invoice=invoice).values_list("state", flat=True)) == {DeliveryState.SUCCEEDED}
    assert emulator.stored_invoice(invoice.remote_id)["status"] == "Paid"  # type: ignore[index]


# -- documentation ----------------------------------------------------------------------------------------------
def test_the_schema_documents_the_mirror_with_the_seed_example_and_bearer_auth(db: None) -> None:
    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    operation = schema["paths"][UPDATE]["put"]
    assert {"genericBearer": []} in operation["security"]
    assert schema["components"]["securitySchemes"]["genericBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API client's token, issued by the back-office.",
    }
    example = next(iter(operation["requestBody"]["content"]["application/json"]["examples"].values()))["value"]
    assert example == json.loads(seed_text())
    assert {"200", "202", "400", "401", "404", "413"} <= set(operation["responses"])
    assert "/api/generic/api/v1/Invoice/Update" not in schema["paths"]
