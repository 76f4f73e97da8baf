"""Rapyd request bodies from our invoice data, and Rapyd's answers back in our terms. Pure functions: no I/O.

Amounts are decimal major units on both sides; they are written as JSON numbers straight from Decimal (see
signing.body_string) and read back with parse_float=Decimal, so no float ever touches money.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from invoices.money import round_money
from providers.base import InvoiceData
from providers.jsonnumbers import loads_decimal

from .status import DELETED, from_rapyd

STATEMENT_DESCRIPTOR_MAX = 22


class PayloadError(ValueError):
    """The invoice cannot be said in Rapyd's terms (caught before anything is sent)."""


def unix_day(day: date) -> int:
    """A calendar date as Rapyd's Unix seconds: midnight UTC of that day."""
    return calendar.timegm(day.timetuple())


def day_of(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, UTC).date()


def json_number(value: Decimal) -> int | Decimal:
    """Integral values as JSON integers (as in Rapyd's examples: `"tax_percent": 10`), others without trailing
    zeros."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{what} must be a number, not {value!r}") from None


def tax_percent(invoice: InvoiceData) -> int | Decimal | None:
    """Rapyd taxes a whole invoice at one rate: an explicit provider field, else the rate all lines share."""
    explicit = invoice.provider_fields.get("tax_percent")
    if explicit is not None:
        return json_number(_decimal(explicit, "tax_percent"))
    rates = {line.tax_rate for line in invoice.lines}
    if not rates:
        return None
    if len(rates) > 1:
        listed = ", ".join(f"{json_number(r)}%" for r in sorted(rates))
        raise PayloadError(f"Rapyd taxes an invoice at one rate (tax_percent), but its lines carry {listed}")
    return json_number(rates.pop())


def update_body(invoice: InvoiceData) -> dict[str, Any]:
    """Rapyd's Update Invoice body: only the fields the invoice sets, as in Rapyd's own examples."""
    fields = invoice.provider_fields
    body: dict[str, Any] = {}
    if invoice.due_date is not None:
        body["due_date"] = unix_day(invoice.due_date)
    elif fields.get("days_until_due") is not None:
        body["days_until_due"] = int(fields["days_until_due"])
    if invoice.description:
        body["description"] = invoice.description
    if invoice.metadata:
        body["metadata"] = dict(invoice.metadata)
    descriptor = fields.get("statement_descriptor")
    if descriptor:
        body["statement_descriptor"] = str(descriptor)
    rate = tax_percent(invoice)
    if rate is not None:
        body["tax_percent"] = rate
    return body


def lines(invoice: InvoiceData) -> list[dict[str, Any]]:
    currency = invoice.currency
    built = [
        {
            "amount": round_money(line.amount, currency),
            "description": line.description or line.sku,
            "quantity": json_number(line.quantity),
            "unit_amount": json_number(line.unit_price),
        }
        for line in invoice.lines
    ]
    if invoice.discount:
        # Rapyd's `discount` takes a coupon id, which we do not manage: a fixed amount off is a negative line.
        off = -round_money(invoice.discount, currency)
        built.append({"amount": off, "description": "Discount", "quantity": 1, "unit_amount": off})
    return built


def create_body(invoice: InvoiceData) -> dict[str, Any]:
    """Rapyd's Create Invoice body: customer, currency and lines, then the same optional fields as updates."""
    return {
        "customer": invoice.customer_ref,
        "currency": invoice.currency,
        "lines": lines(invoice),
        **update_body(invoice),
    }


# -- answers ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Envelope:
    status: str  # SUCCESS | ERROR
    error_code: str
    message: str
    operation_id: str
    data: Any


def parse_envelope(text: str) -> Envelope:
    """Rapyd's {"status": {...}, "data": ...}; ValueError when the text is not one."""
    parsed = loads_decimal(text)
    status = parsed.get("status") if isinstance(parsed, dict) else None
    if not isinstance(status, dict):
        raise ValueError("not a Rapyd envelope")
    return Envelope(
        status=str(status.get("status") or ""),
        error_code=str(status.get("error_code") or status.get("response_code") or ""),
        message=str(status.get("message") or ""),
        operation_id=str(status.get("operation_id") or ""),
        data=parsed.get("data"),
    )


@dataclass(frozen=True)
class RapydInvoice:
    """Rapyd's invoice object (or its deletion receipt) in our terms."""

    remote_id: str
    remote_status: str
    status: str | None
    remote_number: str = ""
    currency: str = ""
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    total: Decimal | None = None
    tax_percent: Decimal | None = None
    due_date: date | None = None
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))


def parse_invoice(data: Mapping[str, Any]) -> RapydInvoice:
    """Map Rapyd's answer to our fields; KeyError/ValueError when it is not an invoice."""
    remote_id = str(data["id"])
    if data.get("deleted") is True:
        return RapydInvoice(remote_id=remote_id, remote_status=DELETED, status=from_rapyd(DELETED))
    remote_status = str(data["status"])
    number = data.get("number")
    due = data.get("due_date")
    return RapydInvoice(
        remote_id=remote_id,
        remote_status=remote_status,
        status=from_rapyd(remote_status),
        remote_number=str(number) if number else "",
        currency=str(data.get("currency") or ""),
        subtotal=_amount(data.get("subtotal")),
        tax=_amount(data.get("tax")),
        total=_amount(data.get("total")),
        tax_percent=_amount(data.get("tax_percent")),
        due_date=day_of(int(due)) if due else None,
        description=str(data.get("description") or ""),
        metadata=dict(data.get("metadata") or {}),
    )


def json_safe(value: Any) -> Any:
    """The answer as storable JSON: Decimals become their exact text rather than floats."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
