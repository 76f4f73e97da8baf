"""VTEX bodies from our invoice data, and VTEX answers back into our fields: pure, no HTTP, no database.

Money crosses the edge in cents: `invoiceValue` is a string of cents, an item's `price` an integer of cents
per unit (VTEX multiplies it by the quantity itself), `quantity` a whole number. `issuanceDate` needs a date
and a time: the exact instant when `provider_fields["issuanceDate"]` holds one (it must fall on the issue
date), else midnight of the issue date in the account's `timezone` setting (UTC by default). `invoiceKey`,
`invoiceUrl` and `embeddedInvoice` are passed through from `provider_fields` when present. Fields we have no
value for are left out rather than sent as null: VTEX's schema does not allow a null `courier`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invoices.currencies import UnknownCurrency
from invoices.money import from_minor, to_minor
from providers.base import InvoiceData

from .status import INVOICED, from_vtex

OUTPUT, INPUT = "Output", "Input"
VTEX_TYPE: dict[str, str] = {"sale": OUTPUT, "return": INPUT}
INVOICE_TYPE: dict[str, str] = {OUTPUT.lower(): "sale", INPUT.lower(): "return"}
PASSTHROUGH_FIELDS = ("invoiceKey", "invoiceUrl", "embeddedInvoice")
# What VTEX still accepts about an invoice once it holds it; everything else it keeps as first sent.
TRACKING_FIELDS: frozenset[str] = frozenset({"courier", "tracking_number", "tracking_url", "dispatched_at"})
# Our fields that shape the invoice notification.
SENT_FIELDS: frozenset[str] = frozenset(
    {
        "invoice_type",
        "issue_date",
        "currency",
        "discount",
        "lines",
        "orders",
        "remote_number",
        "provider_fields",
    }
)


class PayloadError(ValueError):
    """The invoice cannot be put in VTEX's terms, or VTEX's answer cannot be read as documented."""


# -- paths ---------------------------------------------------------------------------------------------------
ORDERS_PATH = "/api/oms/pvt/orders"


def order_path(order_id: str) -> str:
    return f"{ORDERS_PATH}/{quote(order_id, safe='')}"


def invoice_path(order_id: str) -> str:
    return f"{order_path(order_id)}/invoice"


def invoice_number_path(order_id: str, invoice_number: str) -> str:
    return f"{invoice_path(order_id)}/{quote(invoice_number, safe='')}"


# -- our invoice -> VTEX -------------------------------------------------------------------------------------
def order_id_of(invoice: InvoiceData) -> str:
    order_id = invoice.orders[0].order_id.strip() if invoice.orders else ""
    if not order_id:
        raise PayloadError("VTEX: an invoice needs the id of the order it invoices")
    return order_id


def invoice_number_of(invoice: InvoiceData) -> str:
    return (invoice.remote_number or invoice.number).strip()


def vtex_type(invoice: InvoiceData) -> str:
    try:
        return VTEX_TYPE[invoice.invoice_type]
    except KeyError:
        raise PayloadError(f"VTEX: no invoice type for {invoice.invoice_type!r} (sale or return)") from None


def whole_quantity(quantity: Decimal, position: int) -> int:
    if quantity != quantity.to_integral_value():
        raise PayloadError(f"VTEX: line {position} has a fractional quantity ({quantity}); VTEX invoices whole units")
    return int(quantity)


def problems(invoice: InvoiceData) -> list[str]:
    """Why VTEX would refuse this invoice's notification, found before anything is sent (empty when none)."""
    found: list[str] = []
    for check in (order_id_of, vtex_type, _value_cents):
        try:
            check(invoice)
        except PayloadError as exc:
            found.append(str(exc))
    for position, line in enumerate(invoice.lines, start=1):
        if not line.sku.strip():
            found.append(f"VTEX: line {position} has no SKU id; VTEX invoices items by SKU")
        try:
            whole_quantity(line.quantity, position)
        except PayloadError as exc:
            found.append(str(exc))
    return found


def _cents(amount: Decimal, currency: str) -> int:
    try:
        return to_minor(amount, currency)
    except UnknownCurrency as exc:
        raise PayloadError(str(exc)) from None


def _value_cents(invoice: InvoiceData) -> int:
    cents = _cents(invoice.total, invoice.currency)
    if cents <= 0:
        raise PayloadError(f"VTEX: invoiceValue must be greater than 0 (the invoice total is {invoice.total})")
    return cents


def issuance_date(invoice: InvoiceData, timezone: str = "UTC") -> str:
    given = invoice.provider_fields.get("issuanceDate")
    if given:
        try:
            instant = datetime.fromisoformat(str(given))
        except ValueError:
            raise PayloadError(f"VTEX: issuanceDate {given!r} is not an ISO 8601 date and time") from None
        if instant.tzinfo is None:
            raise PayloadError(f"VTEX: issuanceDate {given!r} needs a UTC offset")
        if instant.date() != invoice.issue_date:
            raise PayloadError(f"VTEX: issuanceDate {given!r} is not on the issue date {invoice.issue_date}")
        return str(given)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PayloadError(f"VTEX: unknown time zone {timezone!r} in the account settings") from None
    return datetime.combine(invoice.issue_date, time(0), tzinfo=zone).isoformat()


def invoice_body(invoice: InvoiceData, *, timezone: str = "UTC") -> dict[str, Any]:
    """The invoice notification (`POST /api/oms/pvt/orders/{orderId}/invoice`), in VTEX's field order."""
    found = problems(invoice)
    if found:
        raise PayloadError("; ".join(found))
    body: dict[str, Any] = {
        "type": vtex_type(invoice),
        "issuanceDate": issuance_date(invoice, timezone),
        "invoiceNumber": invoice_number_of(invoice),
        "invoiceValue": str(_value_cents(invoice)),
    }
    for name in PASSTHROUGH_FIELDS:
        value = invoice.provider_fields.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise PayloadError(f"VTEX: provider field {name} must be text")
        body[name] = value
    body["items"] = [
        {
            "id": line.sku.strip(),
            "price": _cents(line.unit_price, invoice.currency),
            **({"description": line.description} if line.description else {}),
            "quantity": whole_quantity(line.quantity, position),
        }
        for position, line in enumerate(invoice.lines, start=1)
    ]
    return body


def _instant(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def tracking_body(invoice: InvoiceData) -> dict[str, Any]:
    """`PATCH …/invoice/{invoiceNumber}`: all four fields are required; all but the number may be null."""
    if not invoice.tracking_number.strip():
        raise PayloadError("VTEX: a tracking update needs a tracking number")
    return {
        "trackingNumber": invoice.tracking_number.strip(),
        "trackingUrl": invoice.tracking_url or None,
        "courier": invoice.courier or None,
        "dispatchedDate": _instant(invoice.dispatched_at) if invoice.dispatched_at else None,
    }


def compact(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# -- VTEX answers -> our fields ------------------------------------------------------------------------------
def error_of(answer: Any) -> tuple[str, str]:
    """(message, code) from VTEX's `{"error": {"code", "message", "exception"}}`, or from a bare `Message`."""
    if isinstance(answer, Mapping):
        error = answer.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"]), str(error.get("code") or "")
        for key in ("message", "Message"):
            if isinstance(answer.get(key), str) and answer[key]:
                return answer[key], ""
    return "", ""


def read_receipt(answer: Any) -> dict[str, str]:
    """`{date, orderId, receipt}`, the answer to the invoice notification and to the tracking updates."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("receipt"), str) or not answer["receipt"]:
        raise PayloadError("VTEX answered without a receipt")
    return {
        "date": str(answer.get("date") or ""),
        "order_id": str(answer.get("orderId") or ""),
        "receipt": answer["receipt"],
    }


@dataclass(frozen=True)
class OrderView:
    """A VTEX order as far as invoicing goes."""

    order_id: str
    remote_status: str
    status: str | None
    value_cents: int
    invoiced_cents: int  # Output invoices
    returned_cents: int  # Input invoices
    package: dict[str, Any] | None  # the package of the invoice asked about, if VTEX holds it

    @property
    def fully_invoiced(self) -> bool:
        return self.remote_status == INVOICED or 0 < self.value_cents <= self.invoiced_cents


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise PayloadError(f"VTEX sent a non-numeric {what}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PayloadError(f"VTEX sent a non-numeric {what}") from None


def read_order(order: Any, invoice_number: str) -> OrderView:
    """`GET /api/oms/pvt/orders/{orderId}`: its status, value and invoices (`packageAttachment.packages`)."""
    if not isinstance(order, Mapping) or not isinstance(order.get("status"), str):
        raise PayloadError("VTEX sent an order without a status")
    attachment = order.get("packageAttachment") or {}
    packages = attachment.get("packages") if isinstance(attachment, Mapping) else None
    if not isinstance(packages, list) or not all(isinstance(p, Mapping) for p in packages):
        raise PayloadError("VTEX sent an order without readable packages")
    invoiced = returned = 0
    ours: dict[str, Any] | None = None
    for package in packages:
        cents = _int(package.get("invoiceValue") or 0, "invoiceValue")
        if str(package.get("type") or "").lower() == INPUT.lower():
            returned += cents
        else:
            invoiced += cents
        if str(package.get("invoiceNumber") or "") == invoice_number:
            ours = dict(package)
    return OrderView(
        order_id=str(order.get("orderId") or ""),
        remote_status=order["status"],
        status=from_vtex(order["status"]),
        value_cents=_int(order.get("value") or 0, "order value"),
        invoiced_cents=invoiced,
        returned_cents=returned,
        package=ours,
    )


def package_fields(package: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """One of the order's invoices, in our field names (amounts back in major units, as Decimal)."""
    return {
        "remote_number": str(package.get("invoiceNumber") or ""),
        "invoice_type": INVOICE_TYPE.get(str(package.get("type") or OUTPUT).lower(), ""),
        "total": from_minor(_int(package.get("invoiceValue") or 0, "invoiceValue"), currency),
        "issuance_date": str(package.get("issuanceDate") or ""),
        "courier": str(package.get("courier") or ""),
        "tracking_number": str(package.get("trackingNumber") or ""),
        "tracking_url": str(package.get("trackingUrl") or ""),
        "dispatched_at": _datetime(package.get("dispatchedDate"), "dispatchedDate"),
    }


def _datetime(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise PayloadError(f"VTEX sent an unreadable {what}: {value!r}") from None
