"""The VTEX emulator's own rules, spoken to as any VTEX client would (raw, authenticated HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from providers.sandbox.vtex import order_state, readonly_credentials, seed_order
from tests.providers.faults import effects

from .helpers import ORDER_ID, call, vtex_headers

INVOICE = f"/api/oms/pvt/orders/{ORDER_ID}/invoice"


def notification(number: str = "NF-1", value: str = "2000", kind: str = "Output", **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "issuanceDate": "2026-11-01T10:00:00-03:00",
        "invoiceNumber": number,
        "invoiceValue": value,
        "items": [{"id": "SKU-1", "price": 1000, "quantity": 2}],
        **extra,
    }


def refusal(answer: Any, status: int = 400) -> str:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == "1"
    assert error["exception"] is None
    message: str = error["message"]
    return message


def test_an_order_is_read_with_its_status_and_invoices(vtex_account, order):
    call(vtex_account, "POST", INVOICE, notification(value="500")).raise_for_status()

    answer = call(vtex_account, "GET", f"/api/oms/pvt/orders/{ORDER_ID}")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["orderId"], body["status"], body["value"]) == (ORDER_ID, "ready-for-handling", 2000)
    [package] = body["packageAttachment"]["packages"]
    assert (package["invoiceNumber"], package["invoiceValue"], package["items"][0]["itemIndex"]) == (
        "NF-1",
        500,
        0,
    )


def test_the_orders_list_is_paged(vtex_account):
    for n in range(3):
        seed_order(f"{n}-01", 100)

    answer = call(vtex_account, "GET", "/api/oms/pvt/orders?per_page=2&page=2")

    assert answer.json()["paging"] == {"total": 3, "pages": 2, "currentPage": 2, "perPage": 2}
    assert len(answer.json()["list"]) == 1
    assert refusal(call(vtex_account, "GET", "/api/oms/pvt/orders?per_page=500")).startswith("per_page must be")


@pytest.mark.parametrize("missing", ["type", "issuanceDate", "invoiceNumber", "invoiceValue", "items"])
def test_an_invoice_without_a_required_field_is_refused_naming_it(vtex_account, order, missing):
    body = notification()
    del body[missing]

    assert refusal(call(vtex_account, "POST", INVOICE, body)) == f"Required field(s) missing: {missing}."


@pytest.mark.parametrize("value", ["20.00", "20,00", "0", "-5", 2000, "\uff12\uff10"])
def test_the_invoice_value_must_be_a_string_of_cents_above_zero(vtex_account, order, value):
    message = refusal(call(vtex_account, "POST", INVOICE, notification(value=value)))

    assert message == "invoiceValue must be a string of cents greater than 0, without separators."


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"id": "SKU-1", "price": 1000, "quantity": 1.5},
            "items[0].quantity must be an integer of at least 1.",
        ),
        ({"id": "SKU-1", "price": 10.5, "quantity": 1}, "items[0].price must be an integer of at least 0."),
        ({"id": 7, "price": 1000, "quantity": 1}, "items[0].id must be the SKU id as a string."),
        ({"id": "SKU-9", "price": 1000, "quantity": 1}, f"Item SKU-9 is not in order {ORDER_ID}."),
    ],
)
def test_items_are_whole_quantities_of_cents_of_the_orders_skus(vtex_account, order, item, message):
    assert refusal(call(vtex_account, "POST", INVOICE, notification(items=[item]))) == message


def test_an_issuance_date_needs_a_time(vtex_account, order):
    message = refusal(call(vtex_account, "POST", INVOICE, notification(issuanceDate="2026-11-01")))

    assert message == "issuanceDate must carry a time as well as a date."


def test_a_body_that_is_not_json_is_refused(vtex_account, order):
    as_form = call(
        vtex_account, "POST", INVOICE, "type=Output", headers={**vtex_headers(), "Content-Type": "text/plain"}
    )
    broken = call(vtex_account, "POST", INVOICE, "{not json")

    assert refusal(as_form, 415) == "Content-Type must be application/json."
    assert refusal(broken) == "The request body is not valid JSON."


def test_a_key_without_the_notify_invoice_resource_is_forbidden_to_invoice(vtex_account, order):
    reader = vtex_headers(readonly_credentials())

    assert call(vtex_account, "GET", f"/api/oms/pvt/orders/{ORDER_ID}", headers=reader).status_code == 200
    assert "Forbidden" in refusal(call(vtex_account, "POST", INVOICE, notification(), headers=reader), 403)
    assert effects("vtex") == []


def test_an_invoiced_orders_status_cannot_change(vtex_account, order):
    call(vtex_account, "POST", INVOICE, notification()).raise_for_status()

    message = refusal(call(vtex_account, "POST", INVOICE, notification(number="NF-2", value="1")))

    assert message == f"Order {ORDER_ID} is already invoiced: an invoiced order's status cannot change."


def test_a_return_is_accepted_only_once_the_order_is_fully_invoiced_and_up_to_what_was_invoiced(vtex_account, order):
    call(vtex_account, "POST", INVOICE, notification(number="NF-1", value="1500")).raise_for_status()
    early = call(vtex_account, "POST", INVOICE, notification(number="RET-1", value="100", kind="Input"))
    call(vtex_account, "POST", INVOICE, notification(number="NF-2", value="500")).raise_for_status()
    too_much = call(vtex_account, "POST", INVOICE, notification(number="RET-1", value="2001", kind="Input"))
    accepted = call(vtex_account, "POST", INVOICE, notification(number="RET-1", value="2000", kind="input"))

    assert refusal(early) == "A return (Input) invoice is accepted only after the order is fully invoiced."
    assert refusal(too_much) == "The return invoice value (2001) exceeds what is left to return (2000)."
    assert accepted.status_code == 200
    assert [p["type"] for p in order_state(ORDER_ID)["packageAttachment"]["packages"]] == [
        "Output",
        "Output",
        "Input",
    ]


def test_a_tracking_update_needs_all_four_documented_fields(vtex_account, order):
    call(vtex_account, "POST", INVOICE, notification()).raise_for_status()

    answer = call(vtex_account, "PATCH", f"{INVOICE}/NF-1", {"trackingNumber": "87658", "courier": "carrierOne"})

    assert refusal(answer) == "Required field(s) missing: trackingUrl, dispatchedDate."


def test_tracking_events_need_the_documented_shape(vtex_account, order):
    call(vtex_account, "POST", INVOICE, notification()).raise_for_status()
    tracking = {"trackingNumber": "1", "trackingUrl": None, "courier": None, "dispatchedDate": None}
    call(vtex_account, "PATCH", f"{INVOICE}/NF-1", tracking).raise_for_status()

    no_flag = call(vtex_account, "PUT", f"{INVOICE}/NF-1/tracking", {"events": []})
    bad_event = call(
        vtex_account,
        "PUT",
        f"{INVOICE}/NF-1/tracking",
        {"isDelivered": True, "deliveredDate": None, "events": [{}]},
    )

    assert refusal(no_flag) == "isDelivered (boolean) and deliveredDate are required."
    assert refusal(bad_event) == "events[0] needs city, state, description and date as strings."


def test_a_method_vtex_does_not_offer_is_405(vtex_account, order):
    answer = call(vtex_account, "DELETE", INVOICE)

    assert refusal(answer, 405) == "DELETE is not allowed here."
    assert answer.headers["Allow"] == "POST"
