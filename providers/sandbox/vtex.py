"""The VTEX Orders API emulator: orders, their invoices (partial and return invoices) and tracking.

VTEX's own paths below /sandbox/vtex/. Auth as VTEX: `X-VTEX-API-AppKey` + `X-VTEX-API-AppToken`; a missing or
wrong pair is 401, a valid key whose role lacks the resource is 403 (`readonly_credentials()` can read orders,
not invoice them). Errors in VTEX's shape `{"error": {"code", "message", "exception"}}`. VTEX takes no
idempotency key: re-sending an invoiceNumber the order already holds only issues a new receipt and changes
nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from providers.vtex import requests
from providers.vtex.payloads import INPUT, OUTPUT

from .credentials import sandbox_credentials
from .framework import (
    SandboxCall,
    SandboxError,
    get_object,
    json_response,
    list_objects,
    put_object,
    sandbox_view,
)

KIND = "vtex"
ORDERS = "orders"
INVOICED = "invoiced"
HANDLING = frozenset({"ready-for-handling", "start-handling", "handling"})
CANCELED = frozenset({"cancel", "canceled"})
OPTIONAL_TEXT = ("invoiceKey", "invoiceUrl", "embeddedInvoice", "courier", "trackingNumber", "trackingUrl")
DESCRIPTIONS = {
    "ready-for-handling": "Pronto para o manuseio",
    "start-handling": "Iniciar manuseio",
    "handling": "Preparando Entrega",
    "invoiced": "Faturado",
    "canceled": "Cancelado",
}


def vtex_error(status: int, code: str, message: str) -> HttpResponse:
    # The OMS numbers its error codes ("1" for a refused request); the framework's named codes (faults, 405)
    # are sandbox vocabulary, so they are answered with VTEX's generic code too.
    vtex_code = code if code.isdigit() else "1"
    return json_response({"error": {"code": vtex_code, "message": message, "exception": None}}, status)


def readonly_credentials() -> dict[str, str]:
    """A valid key pair whose role only has VTEX's "View order" resource: reads pass, invoicing is 403."""
    derived = hmac.new(settings.SECRET_KEY.encode(), b"sandbox:vtex:readonly", hashlib.sha256).hexdigest()
    return {"app_key": f"vtexappkey-sandbox-RO{derived[:6].upper()}", "app_token": derived[16:64].upper()}


def _matches(expected: dict[str, str], key: str, token: str) -> bool:
    return hmac.compare_digest(key, expected["app_key"]) & hmac.compare_digest(token, expected["app_token"])


def _authenticate(call: SandboxCall, *, write: bool) -> None:
    key = call.request.headers.get("X-VTEX-API-AppKey", "")
    token = call.request.headers.get("X-VTEX-API-AppToken", "")
    if not key or not token:
        raise SandboxError(401, "1", "Unauthorized: send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers.")
    if _matches(sandbox_credentials(KIND), key, token):
        return
    if _matches(readonly_credentials(), key, token):
        if write:
            raise SandboxError(403, "1", "Forbidden: the application key lacks the OMS resource 'Notify invoice'.")
        return
    raise SandboxError(401, "1", "Unauthorized: the application key or token is not valid.")


@contextmanager
def _vtex_rules() -> Iterator[None]:
    """VTEX's request rules (providers/vtex/requests.py, which the back-office's mirror applies too), their
    refusals answered in VTEX's envelope."""
    try:
        yield
    except requests.RequestRefused as exc:
        raise SandboxError(exc.status, "1", exc.message) from None


def _body(call: SandboxCall) -> dict[str, Any]:
    if call.request.content_type != "application/json":
        raise SandboxError(415, "1", "Content-Type must be application/json.")
    try:
        body = json.loads(call.text)
    except ValueError:
        raise SandboxError(400, "1", "The request body is not valid JSON.") from None
    with _vtex_rules():
        return requests.body_object(body)


def _now() -> str:
    return timezone.now().isoformat()


def _receipt(order_id: str) -> HttpResponse:
    return json_response({"date": _now(), "orderId": order_id, "receipt": uuid.uuid4().hex})


# -- orders --------------------------------------------------------------------------------------------------
def seed_order(
    order_id: str,
    value_cents: int,
    items: list[dict[str, Any]] | None = None,
    status: str = "ready-for-handling",
    currency: str = "BRL",
) -> dict[str, Any]:
    """Create (or reset) an order. Items are `{"id", "quantity", "price"}`, the price in cents per unit; an
    order seeded without items accepts invoices for any SKU."""
    if isinstance(value_cents, bool) or not isinstance(value_cents, int) or value_cents <= 0:
        raise ValueError("value_cents must be a positive integer of cents")
    order_items = [
        {
            "uniqueId": uuid.uuid4().hex.upper(),
            "id": str(item["id"]),
            "productId": str(item.get("productId", item["id"])),
            "name": str(item.get("name", f"SKU {item['id']}")),
            "quantity": int(item.get("quantity", 1)),
            "price": int(item["price"]),
            "sellingPrice": int(item["price"]),
        }
        for item in items or []
    ]
    now = _now()
    order = {
        "orderId": order_id,
        "sequence": order_id.split("-")[0][-6:],
        "status": status,
        "statusDescription": DESCRIPTIONS.get(status, status),
        "value": value_cents,
        "creationDate": now,
        "lastChange": now,
        "invoicedDate": None,
        "items": order_items,
        "totals": [{"id": "Items", "name": "Total dos Itens", "value": value_cents}],
        "storePreferencesData": {"currencyCode": currency},
        "packageAttachment": {"packages": []},
    }
    put_object(KIND, ORDERS, order_id, order)
    return order


def order_state(order_id: str) -> dict[str, Any] | None:
    obj = get_object(KIND, ORDERS, order_id)
    return dict(obj.data) if obj else None


def _order(order_id: str, *, lock: bool = False) -> dict[str, Any]:
    obj = get_object(KIND, ORDERS, order_id, lock=lock)
    if obj is None:
        raise SandboxError(404, "1", f"Order {order_id} not found.")
    return dict(obj.data)


def _save(order: dict[str, Any]) -> None:
    order["lastChange"] = _now()
    order["statusDescription"] = DESCRIPTIONS.get(order["status"], order["status"])
    put_object(KIND, ORDERS, order["orderId"], order)


def _packages(order: dict[str, Any]) -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = order["packageAttachment"]["packages"]
    return packages


def _package(order: dict[str, Any], invoice_number: str) -> dict[str, Any]:
    for package in _packages(order):
        if package["invoiceNumber"] == invoice_number:
            return package
    raise SandboxError(404, "1", f"Invoice {invoice_number} not found in order {order['orderId']}.")


def _sum(order: dict[str, Any], kind: str) -> int:
    return sum(int(p["invoiceValue"]) for p in _packages(order) if p["type"] == kind)


@sandbox_view(KIND, errors=vtex_error, methods=("GET",))
def orders_view(call: SandboxCall) -> HttpResponse:
    _authenticate(call, write=False)
    try:
        per_page = int(call.request.GET.get("per_page", "15"))
        page = int(call.request.GET.get("page", "1"))
    except ValueError:
        raise SandboxError(400, "1", "page and per_page must be integers.") from None
    if not 1 <= per_page <= 100 or page < 1:
        raise SandboxError(400, "1", "per_page must be between 1 and 100 and page at least 1.")
    found = sorted((o.data for o in list_objects(KIND, ORDERS)), key=lambda o: o["creationDate"], reverse=True)
    rows = [
        {
            "orderId": o["orderId"],
            "creationDate": o["creationDate"],
            "status": o["status"],
            "statusDescription": o["statusDescription"],
            "totalValue": o["value"],
            "currencyCode": o["storePreferencesData"]["currencyCode"],
            "sequence": o["sequence"],
        }
        for o in found[(page - 1) * per_page : page * per_page]
    ]
    paging = {
        "total": len(found),
        "pages": -(-len(found) // per_page),
        "currentPage": page,
        "perPage": per_page,
    }
    return json_response({"list": rows, "facets": [], "paging": paging, "stats": {"stats": {}}})


@sandbox_view(KIND, errors=vtex_error, methods=("GET",))
def order_view(call: SandboxCall, order_id: str) -> HttpResponse:
    _authenticate(call, write=False)
    return json_response(_order(order_id))


# -- invoices ------------------------------------------------------------------------------------------------
def _instant(body: dict[str, Any], name: str) -> str | None:
    """A date and time VTEX accepts, kept as sent."""
    return body[name] if requests.instant(body, name) is not None else None


def _items(body: dict[str, Any], order: dict[str, Any]) -> list[dict[str, Any]]:
    ordered = [item["id"] for item in order["items"]]
    result = []
    for index, item in enumerate(requests.items_array(body["items"])):
        item = requests.item_object(index, item)
        sku = requests.sku(item, f"items[{index}].")
        price = requests.whole(item.get("price"), f"items[{index}].price", 0)
        quantity = requests.whole(item.get("quantity"), f"items[{index}].quantity", 1)
        if ordered and sku not in ordered:
            raise SandboxError(400, "1", f"Item {sku} is not in order {order['orderId']}.")
        result.append(
            {
                "itemIndex": ordered.index(sku) if sku in ordered else None,
                "id": sku,
                "quantity": quantity,
                "price": price,
                "description": item.get("description"),
            }
        )
    return result


def _package_from(body: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    requests.require_notification(body)
    kind = requests.invoice_type(body["type"])
    value = requests.cents(body["invoiceValue"])
    return {
        "type": kind,
        "invoiceNumber": requests.text(body, "invoiceNumber", required=True),
        "invoiceValue": value,
        "issuanceDate": _instant(body, "issuanceDate"),
        **{name: requests.text(body, name) for name in OPTIONAL_TEXT},
        "dispatchedDate": _instant(body, "dispatchedDate"),
        "items": _items(body, order),
        "courierStatus": None,
    }


def _admit(order: dict[str, Any], package: dict[str, Any]) -> None:
    """VTEX's rules: partial invoices up to the order's value, returns only once it is fully invoiced."""
    order_id, status, value = order["orderId"], order["status"], package["invoiceValue"]
    if status in CANCELED:
        raise SandboxError(400, "1", f"Order {order_id} is canceled and cannot be invoiced.")
    invoiced = _sum(order, OUTPUT)
    if package["type"] == INPUT:
        if status != INVOICED:
            raise SandboxError(400, "1", "A return (Input) invoice is accepted only after the order is fully invoiced.")
        refundable = invoiced - _sum(order, INPUT)
        if value > refundable:
            raise SandboxError(
                400, "1", f"The return invoice value ({value}) exceeds what is left to return ({refundable})."
            )
        return
    if status == INVOICED:
        raise SandboxError(400, "1", f"Order {order_id} is already invoiced: an invoiced order's status cannot change.")
    if status not in HANDLING:
        raise SandboxError(400, "1", f"Order {order_id} cannot be invoiced while its status is '{status}'.")
    left = order["value"] - invoiced
    if value > left:
        raise SandboxError(
            400,
            "1",
            f"The invoice value ({value}) exceeds the value left to invoice on order {order_id} ({left}).",
        )


@sandbox_view(KIND, errors=vtex_error, methods=("POST",))
def invoice_view(call: SandboxCall, order_id: str) -> HttpResponse:
    _authenticate(call, write=True)
    body = _body(call)
    order = _order(order_id, lock=True)
    with _vtex_rules():
        package = _package_from(body, order)
    number = package["invoiceNumber"]
    if any(p["invoiceNumber"] == number for p in _packages(order)):
        return _receipt(order_id)  # VTEX only issues a new receipt: the invoice stays as first sent
    _admit(order, package)
    _packages(order).append(package)
    value = package["invoiceValue"]
    if package["type"] == INPUT:
        call.effect(f"return invoice {number} ({value} cents) added to order {order_id}: refund of {value} cents")
    else:
        call.effect(f"invoice {number} ({value} cents) added to order {order_id}")
        if _sum(order, OUTPUT) >= order["value"]:
            order["status"], order["invoicedDate"] = INVOICED, _now()
            call.effect(f"order {order_id} invoiced")
    _save(order)
    return _receipt(order_id)


@sandbox_view(KIND, errors=vtex_error, methods=("PATCH",))
def invoice_tracking_number_view(call: SandboxCall, order_id: str, invoice_number: str) -> HttpResponse:
    _authenticate(call, write=True)
    body = _body(call)
    order = _order(order_id, lock=True)
    package = _package(order, invoice_number)
    with _vtex_rules():
        requests.require_tracking(body)
        tracking = {
            "trackingNumber": requests.text(body, "trackingNumber", required=True),
            "trackingUrl": requests.text(body, "trackingUrl"),
            "courier": requests.text(body, "courier"),
            "dispatchedDate": _instant(body, "dispatchedDate"),
        }
    if any(package.get(name) != value for name, value in tracking.items()):
        package.update(tracking)
        call.effect(f"tracking {tracking['trackingNumber']} set on invoice {invoice_number} of order {order_id}")
        _save(order)
    return _receipt(order_id)


def _events(body: dict[str, Any]) -> list[dict[str, str]]:
    events = body.get("events")
    if not isinstance(events, list):
        raise SandboxError(400, "1", "events must be an array.")
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not all(
            isinstance(event.get(name), str) for name in ("city", "state", "description", "date")
        ):
            raise SandboxError(400, "1", f"events[{index}] needs city, state, description and date as strings.")
    return [{name: event[name] for name in ("city", "state", "description", "date")} for event in events]


@sandbox_view(KIND, errors=vtex_error, methods=("PUT",))
def tracking_events_view(call: SandboxCall, order_id: str, invoice_number: str) -> HttpResponse:
    _authenticate(call, write=True)
    body = _body(call)
    order = _order(order_id, lock=True)
    package = _package(order, invoice_number)
    if not package.get("trackingNumber"):
        raise SandboxError(
            400, "1", f"Invoice {invoice_number} has no tracking number: send it before tracking events."
        )
    delivered = body.get("isDelivered")
    if not isinstance(delivered, bool) or "deliveredDate" not in body:
        raise SandboxError(400, "1", "isDelivered (boolean) and deliveredDate are required.")
    delivered_date = body["deliveredDate"]
    if delivered_date is not None and not isinstance(delivered_date, str):
        raise SandboxError(400, "1", "deliveredDate must be a string or null.")
    events = _events(body)
    status = {"finished": delivered, "deliveredDate": delivered_date, "data": events}
    if package.get("courierStatus") != status:
        package["courierStatus"] = status
        done = ", delivered" if delivered else ""
        call.effect(f"{len(events)} tracking event(s) on invoice {invoice_number} of order {order_id}{done}")
        _save(order)
    return _receipt(order_id)


_ORDER = "api/oms/pvt/orders/<str:order_id>"
urlpatterns = [
    path("api/oms/pvt/orders", orders_view),
    path(_ORDER, order_view),
    path(f"{_ORDER}/invoice", invoice_view),
    path(f"{_ORDER}/invoice/<str:invoice_number>", invoice_tracking_number_view),
    path(f"{_ORDER}/invoice/<str:invoice_number>/tracking", tracking_events_view),
]
