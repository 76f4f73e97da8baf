"""The VTEX mirror in VTEX's terms: requests checked as VTEX checks them, turned into our fields, and VTEX's
answers. Pure: no HTTP, no database (the view in invoices/api/mirrors/vtex.py does the rest).

What VTEX's documents leave open, decided here:
- Validation follows what VTEX enforces (requests.py, the rules the sandbox emulator applies too), which is a
  little looser than its OpenAPI file: optional texts may be null (the seed's own example sends
  `"courier": null`), `type` is read without regard to case (the docs ask for `input` in one place, `Input` in
  another).
- A date and time without a UTC offset is read in the account's `timezone` setting (UTC by default).
- We record an invoice by its items. `invoiceValue` may be less than the items add up to (VTEX's own example
  invoices 2499 of 2 x 2499): the difference is recorded as the invoice's discount, so the value VTEX receives
  is the one sent. A value above the items (freight, say) has no place on our invoice and is refused: send the
  charge as an item.
- Limits of our records (lengths of texts, sizes of numbers) are refused with the VTEX field they concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from invoices.currencies import UnknownCurrency
from invoices.money import from_minor

from . import openapi, requests
from .payloads import INVOICE_TYPE, PASSTHROUGH_FIELDS
from .requests import RequestRefused as RequestRefused

# VTEX's OMS answers every refusal with the code "1" and the reason in the message.
ERROR_CODE = "1"
DEFAULT_CURRENCY = "BRL"  # VTEX stores are Brazilian first; an account's `currency` setting says otherwise
MAX_CENTS = 10**15  # a sanity bound on any integer of cents; what fits our amounts depends on the currency
MAX_AMOUNT = Decimal(10) ** 14  # our amounts: 18 digits, 4 of them decimals
MAX_QUANTITY = 999_999_999
# Our column sizes, by VTEX field name.
MAX_LENGTH = {"invoiceNumber": 100, "courier": 100, "trackingNumber": 100, "trackingUrl": 500}
MAX_ITEM_LENGTH = {"id": 100, "description": 300}

# The seed document's examples (seed 003), as documented: the API docs in /api/schema/ show them.
SEED_INVOICE_NOTIFICATION: dict[str, Any] = {
    "courier": None,
    "dispatchedDate": None,
    "invoiceKey": None,
    "invoiceNumber": "9999",
    "invoiceUrl": "link",
    "invoiceValue": "10000",
    "issuanceDate": "2019-01-31T18:25:43-05:00",
    "items": [{"description": "335", "id": "1234", "price": 10000, "quantity": 1}],
    "trackingNumber": None,
    "trackingUrl": None,
    "type": "Output",
}
SEED_TRACKING_UPDATE: dict[str, Any] = {
    "courier": "carrierOne",
    "dispatchedDate": "2022-02-08T13:16:13.4617653+00:00",
    "trackingNumber": "87658",
    "trackingUrl": "https://www.tracking.com/url",
}
SEED_ORDER_ID = "1172452900788-01"
SEED_INVOICE_NUMBER = "000030711"
RETURN_EXAMPLE: dict[str, Any] = {
    "type": "Input",
    "issuanceDate": "2019-02-15T10:00:00-03:00",
    "invoiceNumber": "9999-R",
    "invoiceValue": "10000",
    "items": [{"id": "1234", "price": 10000, "quantity": 1, "description": "335"}],
}

# VTEX's OpenAPI templates of the two paths.
INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
INVOICE_NUMBER = f"{INVOICE}/{{invoiceNumber}}"


@dataclass(frozen=True)
class Item:
    sku: str
    description: str
    quantity: int
    price_cents: int  # per unit


@dataclass(frozen=True)
class Tracking:
    """Courier and tracking details as sent (None where VTEX was sent null or nothing)."""

    tracking_number: str | None = None
    tracking_url: str | None = None
    courier: str | None = None
    dispatched: datetime | None = None  # naive when sent without an offset

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.tracking_number, self.tracking_url, self.courier, self.dispatched))

    def fields(self, *, timezone: str = "UTC") -> dict[str, Any]:
        """Our invoice's tracking fields."""
        return {
            "tracking_number": self.tracking_number or "",
            "tracking_url": self.tracking_url or "",
            "courier": self.courier or "",
            "dispatched_at": _aware(self.dispatched, timezone) if self.dispatched else None,
        }


@dataclass(frozen=True)
class Notification:
    """`POST /api/oms/pvt/orders/{orderId}/invoice`, checked."""

    invoice_number: str
    vtex_type: str  # Output | Input
    issuance_date: str  # as sent
    issued: datetime
    value_cents: int
    items: tuple[Item, ...]
    passthrough: dict[str, str] = field(default_factory=dict)  # invoiceKey, invoiceUrl, embeddedInvoice
    tracking: Tracking = field(default_factory=Tracking)

    @property
    def items_cents(self) -> int:
        return sum(item.price_cents * item.quantity for item in self.items)


@dataclass(frozen=True)
class InvoiceIntent:
    """A notification as our invoice's fields (amounts in major units of the invoice's currency)."""

    invoice_type: str
    issue_date: date
    remote_number: str
    lines: list[dict[str, Any]]
    discount: Decimal
    provider_fields: dict[str, str]
    tracking: dict[str, Any]  # our tracking fields; empty when the notification carries none


# -- requests ------------------------------------------------------------------------------------------------
# VTEX's own rules come from requests.py. What this module adds are the needs of our records (lengths, sizes,
# URLs, descriptions as text, items to record the invoice by): VTEX does not have them, so its emulator does not
# apply them.
def _text(body: Mapping[str, Any], name: str, *, required: bool = False, where: str = "") -> str | None:
    value = requests.text(body, name, required=required, where=where)
    limit = MAX_LENGTH.get(name) if not where else MAX_ITEM_LENGTH.get(name)
    if value is not None and limit and len(value) > limit:
        raise RequestRefused(f"{where}{name} must be at most {limit} characters.")
    return value


def _url(body: Mapping[str, Any], name: str) -> str | None:
    value = _text(body, name)
    if value is not None:
        try:
            URLValidator()(value)
        except ValidationError:
            raise RequestRefused(f"{name} must be an absolute URL (http or https).") from None
    return value


def _whole(value: Any, label: str, low: int, high: int) -> int:
    number = requests.whole(value, label, low)
    if number > high:
        raise RequestRefused(f"{label} must be at most {high}.")
    return number


def _items(value: Any) -> tuple[Item, ...]:
    if not requests.items_array(value):
        raise RequestRefused("items must list the SKUs being invoiced: the back-office records an invoice by them.")
    items = []
    for index, item in enumerate(value):
        where = f"items[{index}]."
        item = requests.item_object(index, item)
        sku = requests.sku(item, where)
        if not sku.strip():  # VTEX takes a blank SKU; our line keeps it trimmed, where it would name nothing
            raise RequestRefused(f"{where}id must be the SKU id as a string.")
        _text(item, "id", where=where)
        price = _whole(item.get("price"), f"{where}price", 0, MAX_CENTS)
        quantity = _whole(item.get("quantity"), f"{where}quantity", 1, MAX_QUANTITY)
        items.append(Item(sku, _text(item, "description", where=where) or "", quantity, price))
    return tuple(items)


def _cents(value: Any) -> int:
    cents = requests.cents(value)
    if cents > MAX_CENTS:
        raise RequestRefused(f"invoiceValue must be at most {MAX_CENTS}.")
    return cents


def _tracking(body: Mapping[str, Any], *, number_required: bool) -> Tracking:
    return Tracking(
        tracking_number=_text(body, "trackingNumber", required=number_required),
        tracking_url=_url(body, "trackingUrl"),
        courier=_text(body, "courier"),
        dispatched=requests.instant(body, "dispatchedDate"),
    )


def parse_notification(body: Any) -> Notification:
    """The invoice notification, checked in the order VTEX checks it; RequestRefused names the field."""
    body = requests.body_object(body)
    requests.require_notification(body)
    kind = requests.invoice_type(body["type"])
    value = _cents(body["invoiceValue"])
    number = _text(body, "invoiceNumber", required=True) or ""
    issued = requests.instant(body, "issuanceDate")
    if issued is None:
        raise RequestRefused("Required field(s) missing: issuanceDate.")
    passthrough = {name: text for name in PASSTHROUGH_FIELDS if (text := _text(body, name)) is not None}
    tracking = _tracking(body, number_required=False)
    notification = Notification(
        invoice_number=number.strip(),
        vtex_type=kind,
        issuance_date=body["issuanceDate"],
        issued=issued,
        value_cents=value,
        items=_items(body["items"]),
        passthrough=passthrough,
        tracking=tracking,
    )
    if notification.value_cents > notification.items_cents:
        raise RequestRefused(
            f"invoiceValue ({value}) is more than the items add up to ({notification.items_cents}): the "
            "back-office records an invoice by its items, so send any other charge as an item."
        )
    return notification


def parse_tracking(body: Any) -> Tracking:
    """`PATCH …/invoice/{invoiceNumber}`: all four fields present; all but trackingNumber may be null."""
    body = requests.body_object(body)
    requests.require_tracking(body)
    return _tracking(body, number_required=True)


def notification_key(order_id: str, body: Any) -> str | None:
    """VTEX's own idempotency: an order's invoiceNumber is sent once; re-sending it changes nothing."""
    number = body.get("invoiceNumber") if isinstance(body, dict) else None
    if not isinstance(number, str) or not number.strip():
        return None
    return f"invoice:{order_id}:{number.strip()}"


# -- to our fields -------------------------------------------------------------------------------------------
def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(instant: datetime, timezone: str) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=_zone(timezone))


def invoice_intent(notification: Notification, *, currency: str, timezone: str = "UTC") -> InvoiceIntent:
    """Our invoice fields for a notification: items as lines, cents as major units of `currency`."""
    try:
        lines = [
            {
                "sku": item.sku.strip(),
                "description": item.description,
                "quantity": Decimal(item.quantity),
                "unit_price": from_minor(item.price_cents, currency),
            }
            for item in notification.items
        ]
        discount = from_minor(notification.items_cents - notification.value_cents, currency)
        items_total = from_minor(notification.items_cents, currency)
    except UnknownCurrency as exc:
        raise RequestRefused(f"The VTEX account is set up with an unknown currency: {exc}") from None
    if items_total >= MAX_AMOUNT:
        raise RequestRefused(f"items add up to {items_total} {currency}: more than the back-office can record.")
    issued = notification.issued
    # Kept as sent when it has an offset (VTEX then receives the very same text); given one otherwise.
    issuance = notification.issuance_date if issued.tzinfo else _aware(issued, timezone).isoformat()
    return InvoiceIntent(
        invoice_type=INVOICE_TYPE[notification.vtex_type.lower()],
        issue_date=issued.date(),
        remote_number=notification.invoice_number,
        lines=lines,
        discount=discount,
        provider_fields={"issuanceDate": issuance, **notification.passthrough},
        tracking=notification.tracking.fields(timezone=timezone) if notification.tracking else {},
    )


# -- answers -------------------------------------------------------------------------------------------------
def error_body(message: str, code: str = ERROR_CODE) -> dict[str, Any]:
    """VTEX's error envelope. Codes are numbers at VTEX; our named codes become its generic "1"."""
    return {"error": {"code": code if code.isdigit() else ERROR_CODE, "message": message, "exception": None}}


def receipt_body(data: Mapping[str, Any], order_id: str) -> dict[str, str] | None:
    """`{date, orderId, receipt}` from what the VTEX adapter read in VTEX's answer (None if it had no receipt)."""
    receipt = data.get("receipt")
    if not isinstance(receipt, str) or not receipt:
        return None
    return {"date": str(data.get("date") or ""), "orderId": str(data.get("order_id") or order_id), "receipt": receipt}


def _content(template: str, method: str, status: int | None) -> dict[str, Any]:
    operation = openapi.spec()["paths"][template][method]
    holder = operation["responses"][str(status)] if status else operation["requestBody"]
    content: dict[str, Any] = holder["content"]["application/json"]
    return content


def _inlined(node: Any, spec: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inlined(item, spec) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        target: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _inlined(target, spec)
    return {key: _inlined(value, spec) for key, value in node.items()}


def documented_schema(template: str, method: str, status: int | None = None) -> dict[str, Any]:
    """VTEX's own schema of a request body (or of a response), from its OpenAPI file, references inlined."""
    schema: dict[str, Any] = _inlined(_content(template, method, status)["schema"], openapi.spec())
    return schema


def documented_example(template: str, method: str, status: int | None = None) -> dict[str, Any]:
    example: dict[str, Any] = _content(template, method, status)["example"]
    return example


DOCUMENTED_RECEIPT = documented_example(INVOICE, "post", 200)


def accepted_body(*, date: str, order_id: str, receipt: str, delivery_id: int) -> dict[str, Any]:
    """Accepted and queued: VTEX's answer shape, the receipt being our delivery's key, with the delivery id."""
    return {"date": date, "orderId": order_id, "receipt": receipt, "deliveryId": delivery_id}
