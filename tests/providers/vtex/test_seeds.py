"""The seed document's example bodies: accepted by the sandbox as sent, and produced by the adapter."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from providers.sandbox.vtex import order_state, seed_order
from providers.vtex import openapi
from tests.providers.faults import effects

from .helpers import ORDER_ID, SEND, TRACK, call, seed_fixture

INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
INVOICE_NUMBER = f"{INVOICE}/{{invoiceNumber}}"
TRACKING = f"{INVOICE_NUMBER}/tracking"
SEED_INVOICE_NUMBER = "000030711"  # the seed's tracking example updates this invoice of ORDER_ID


def seed_the_example_order() -> None:
    seed_order(ORDER_ID, 10000, items=[{"id": "1234", "quantity": 1, "price": 10000}])


def test_the_seed_invoice_notification_is_accepted_by_the_sandbox(vtex_account):
    seed_the_example_order()

    answer = call(vtex_account, "POST", f"/api/oms/pvt/orders/{ORDER_ID}/invoice", seed_fixture("invoice_notification"))

    assert answer.status_code == 200
    openapi.validate_response(INVOICE, "post", 200, answer.json())
    assert answer.json()["orderId"] == ORDER_ID
    assert order_state(ORDER_ID)["status"] == "invoiced"


def test_the_adapter_produces_the_seed_invoice_notification(adapter, sale):
    # given the seed's invoice as ours: SKU 1234 at 100.00, issued at the seed's instant, with its invoice URL
    invoice = sale(
        number="9999",
        lines=[{"sku": "1234", "description": "335", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}],
        issue_date=dt.date(2019, 1, 31),
        due_date=None,
        provider_fields={"issuanceDate": "2019-01-31T18:25:43-05:00", "invoiceUrl": "link"},
    )

    [request] = adapter.preview(invoice, SEND)

    # then the body is the seed's; its nulls are fields we leave out (VTEX's schema refuses a null courier)
    seed = {name: value for name, value in seed_fixture("invoice_notification").items() if value is not None}
    assert json.loads(request.body) == seed
    assert request.url.endswith(f"/sandbox/vtex/api/oms/pvt/orders/{ORDER_ID}/invoice")
    openapi.validate_request(INVOICE, "post", request.body)


def test_the_seed_tracking_update_is_accepted_by_the_sandbox(vtex_account):
    seed_the_example_order()
    notification = {**seed_fixture("invoice_notification"), "invoiceNumber": SEED_INVOICE_NUMBER}
    call(vtex_account, "POST", f"/api/oms/pvt/orders/{ORDER_ID}/invoice", notification).raise_for_status()

    answer = call(
        vtex_account,
        "PATCH",
        f"/api/oms/pvt/orders/{ORDER_ID}/invoice/{SEED_INVOICE_NUMBER}",
        seed_fixture("send_tracking_number"),
    )

    assert answer.status_code == 200
    openapi.validate_request(INVOICE_NUMBER, "patch", seed_fixture("send_tracking_number"))
    openapi.validate_response(INVOICE_NUMBER, "patch", 200, answer.json())
    [package] = order_state(ORDER_ID)["packageAttachment"]["packages"]
    assert (package["trackingNumber"], package["courier"]) == ("87658", "carrierOne")


def test_the_adapter_produces_the_seed_tracking_update(adapter, sale):
    invoice = sale(
        remote_number=SEED_INVOICE_NUMBER,
        courier="carrierOne",
        tracking_number="87658",
        tracking_url="https://www.tracking.com/url",
        dispatched_at=dt.datetime(2022, 2, 8, 13, 16, 13, 461765, tzinfo=dt.UTC),
    )

    [request] = adapter.preview(invoice, TRACK)

    body, seed = json.loads(request.body), seed_fixture("send_tracking_number")
    # The seed's 7 fractional digits are .NET ticks; Python keeps microseconds, the same instant to 1 µs.
    assert dt.datetime.fromisoformat(body.pop("dispatchedDate")) == dt.datetime.fromisoformat(
        seed.pop("dispatchedDate")
    )
    assert body == seed
    assert request.method == "PATCH"
    assert request.url.endswith(f"/api/oms/pvt/orders/{ORDER_ID}/invoice/{SEED_INVOICE_NUMBER}")


def test_the_documented_tracking_events_are_accepted_once_a_tracking_number_is_known(vtex_account):
    seed_the_example_order()
    number_path = f"/api/oms/pvt/orders/{ORDER_ID}/invoice/{SEED_INVOICE_NUMBER}"
    notification = {**seed_fixture("invoice_notification"), "invoiceNumber": SEED_INVOICE_NUMBER}
    call(vtex_account, "POST", f"/api/oms/pvt/orders/{ORDER_ID}/invoice", notification).raise_for_status()
    events = seed_fixture("openapi_tracking_events")
    openapi.validate_request(TRACKING, "put", events)

    too_early = call(vtex_account, "PUT", f"{number_path}/tracking", events)
    call(vtex_account, "PATCH", number_path, seed_fixture("send_tracking_number")).raise_for_status()
    answer = call(vtex_account, "PUT", f"{number_path}/tracking", events)

    assert too_early.status_code == 400
    assert "has no tracking number" in too_early.json()["error"]["message"]
    assert answer.status_code == 200
    openapi.validate_response(TRACKING, "put", 200, answer.json())
    [package] = order_state(ORDER_ID)["packageAttachment"]["packages"]
    assert package["courierStatus"]["data"] == events["events"]
    assert effects("vtex")[-1] == f"2 tracking event(s) on invoice {SEED_INVOICE_NUMBER} of order {ORDER_ID}"


def test_the_openapi_example_with_an_embedded_invoice_is_accepted(vtex_account):
    seed_order("DFG-01", 4998, items=[{"id": "123", "quantity": 2, "price": 2499}])
    spec = openapi.spec()["paths"][INVOICE]["post"]["requestBody"]["content"]["application/json"]
    example = spec["example"]
    openapi.validate_request(INVOICE, "post", example)

    answer = call(vtex_account, "POST", "/api/oms/pvt/orders/DFG-01/invoice", example)

    assert answer.status_code == 200
    [package] = order_state("DFG-01")["packageAttachment"]["packages"]
    assert package["embeddedInvoice"] == example["embeddedInvoice"]
    assert package["trackingNumber"] == "87658"
