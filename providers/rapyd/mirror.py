"""Rapyd's Update Invoice as the back-office's mirror receives it. Pure functions: no I/O, no models.

`POST /v1/invoices/{invoice}` is checked the way Rapyd checks it (by requests.py, the rules the sandbox emulator
applies too: the same order of refusals, the same error codes), its body is mapped to our invoice fields, and
every answer is written in Rapyd's envelope: {"status": {error_code, status, message, response_code,
operation_id}, "data": {...}}.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from invoices.money import round_money
from providers.base import InvoiceData

from . import requests
from .payloads import PayloadError, day_of, json_number, lines, tax_percent, unix_day
from .requests import NOT_DRAFT as NOT_DRAFT
from .requests import NOT_FOUND as NOT_FOUND
from .requests import UNAUTHENTICATED as UNAUTHENTICATED
from .requests import RequestError as RequestError
from .status import to_rapyd

# Rapyd's answer when the caller's account "is not configured to use the feature": a read-only client here.
UNAUTHORIZED = "UNAUTHORIZED_API_CALL"
# Rapyd publishes no code for an update it refuses for another reason; named after its other update errors.
UPDATE_REFUSED = "ERROR_UPDATE_INVOICE"

QUEUED_MESSAGE = "Accepted and queued for delivery to Rapyd."
HELD_MESSAGE = "Accepted; the delivery to Rapyd stopped and waits for the back-office: {reason}"

# Amounts in Rapyd's invoice object, written as JSON numbers (Result.data keeps them as exact text).
MONEY_KEYS = ("subtotal", "tax", "total", "tax_percent", "discount_amount")
LINE_NUMBER_KEYS = ("amount", "quantity", "unit_amount")


# -- the request -------------------------------------------------------------------------------------------------
def signed_path(full_path: str) -> str:
    """The path Rapyd signs: from /v1, with the query string (wherever the mirror is mounted)."""
    start = full_path.find("/v1/")
    return full_path[start:] if start >= 0 else full_path


def parse_body(body: bytes) -> dict[str, Any]:
    """The update body: an empty one changes nothing (Rapyd accepts it), anything else must be a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "INVALID_BODY", "The body is not UTF-8.") from None
    return requests.parse_body(text)


def check_updatable(invoice: InvoiceData) -> None:
    """Rapyd updates only payment invoices, and only while they are draft (checked before the fields); our draft
    status is Rapyd's."""
    requests.check_updatable(invoice.provider_fields.get("type"), invoice.status)


def _plain_json(value: Any) -> Any:
    """Free-form metadata as storable JSON. A JSON column would read a fractional number back as a float, which
    no provider body may carry (jsonnumbers refuses floats): such a number is kept as its exact text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return value


def _stored_number(value: int | Decimal) -> int | str:
    """A rate kept in provider_fields: JSON has no Decimal, so its exact text (the adapter reads both)."""
    number = json_number(Decimal(value))
    return number if isinstance(number, int) else str(number)


def update_fields(body: Mapping[str, Any], invoice: InvoiceData) -> dict[str, Any]:
    """The invoice fields (for invoice_update) an accepted Update Invoice body sets.

    Rapyd counts days_until_due from the invoice's creation; our invoice's own date is its issue date. Both
    due fields set a due date: due_date wins when both are given, as at Rapyd. Metadata is merged into ours;
    statement_descriptor, tax_percent and payment_fields have no column and live in provider_fields, where the
    adapter reads them."""
    requests.check_fields(body)
    fields: dict[str, Any] = {}
    if "days_until_due" in body:
        fields["due_date"] = invoice.issue_date + timedelta(days=body["days_until_due"])
    if "due_date" in body:
        fields["due_date"] = day_of(body["due_date"])
    if "description" in body:
        fields["description"] = body["description"]
    if "metadata" in body:
        fields["metadata"] = {**invoice.metadata, **_plain_json(body["metadata"])}
    provider_fields = dict(invoice.provider_fields)
    if "payment_fields" in body:
        provider_fields["payment_fields"] = _plain_json(body["payment_fields"])
    if "statement_descriptor" in body:
        provider_fields["statement_descriptor"] = body["statement_descriptor"]
    if "tax_percent" in body:
        provider_fields["tax_percent"] = _stored_number(body["tax_percent"])
    if provider_fields != invoice.provider_fields:
        fields["provider_fields"] = provider_fields
    return fields


# -- the answers -------------------------------------------------------------------------------------------------
def _status(code: str = "", message: str = "", operation_id: str = "") -> dict[str, str]:
    return {
        "error_code": code,
        "status": "ERROR" if code else "SUCCESS",
        "message": message,
        "response_code": code,
        "operation_id": operation_id or str(uuid.uuid4()),
    }


def error_envelope(code: str, message: str) -> dict[str, Any]:
    """Rapyd's refusal: status ERROR, error_code == response_code, and no data."""
    return {"status": _status(code, message)}


def success_envelope(data: Mapping[str, Any], *, operation_id: str = "", message: str = "") -> dict[str, Any]:
    return {"status": _status(message=message, operation_id=operation_id), "data": dict(data)}


def queued_envelope(invoice: Mapping[str, Any], *, delivery_id: int, operation_id: str, message: str) -> dict[str, Any]:
    """Accepted and queued (HTTP 202): our view of the invoice, and the delivery that will carry it to Rapyd."""
    return success_envelope({**invoice, "delivery_id": delivery_id}, operation_id=operation_id, message=message)


def is_error_envelope(parsed: Any) -> bool:
    status = parsed.get("status") if isinstance(parsed, dict) else None
    return isinstance(status, dict) and status.get("status") == "ERROR" and bool(status.get("error_code"))


def invoice_from_result(data: Mapping[str, Any]) -> dict[str, Any]:
    """Rapyd's invoice object from a delivery's stored answer, its amounts back as exact JSON numbers."""
    shown = dict(data)
    for name in MONEY_KEYS:
        if isinstance(shown.get(name), str):
            shown[name] = Decimal(shown[name])
    if isinstance(shown.get("lines"), list):
        shown["lines"] = [
            {k: (Decimal(v) if k in LINE_NUMBER_KEYS and isinstance(v, str) else v) for k, v in line.items()}
            if isinstance(line, Mapping)
            else line
            for line in shown["lines"]
        ]
    return shown


def invoice_view(invoice: InvoiceData) -> dict[str, Any]:
    """Our current view of the invoice in the shape of Rapyd's invoice object (what Rapyd will hold once the
    queued delivery went through). Rapyd shows a discount as a negative line, so its subtotal is after it."""
    currency = invoice.currency
    fields = invoice.provider_fields
    try:
        rate = tax_percent(invoice)
    except PayloadError:
        rate = None
    number = invoice.remote_number
    return {
        "id": invoice.remote_id,
        "currency": currency,
        "customer": invoice.customer_ref,
        "description": invoice.description,
        "due_date": unix_day(invoice.due_date) if invoice.due_date else None,
        "days_until_due": (invoice.due_date - invoice.issue_date).days if invoice.due_date else None,
        "metadata": dict(invoice.metadata),
        "number": int(number) if number.isdigit() else 0,
        "payment_fields": fields.get("payment_fields"),
        "lines": lines(invoice),
        "statement_descriptor": str(fields.get("statement_descriptor") or ""),
        "subtotal": round_money(invoice.subtotal - invoice.discount, currency),
        "tax": round_money(invoice.tax, currency),
        "tax_percent": rate if rate is not None else 0,
        "total": round_money(invoice.total, currency),
        "status": to_rapyd(invoice.status) or invoice.status,
        "type": str(fields.get("type") or "payment"),
    }


# -- documentation: Rapyd's own examples (seed 004) ---------------------------------------------------------------
EXAMPLE_INVOICE_ID = "invoice_5f9980f7355eeca21e1b97931cae6c23"
EXAMPLE_REQUEST: dict[str, Any] = {"metadata": {"merchant_defined": "updated"}, "days_until_due": 40}
EXAMPLE_TAX_REQUEST: dict[str, Any] = {"tax_percent": 10}
EXAMPLE_INVOICE: dict[str, Any] = {
    "id": EXAMPLE_INVOICE_ID,
    "attempt_count": 0,
    "billing": "pay_automatically",
    "billing_reason": "manual",
    "created_at": 1702307343,
    "currency": "USD",
    "customer": "cus_893a041b7dd251ec894556564298dc13",
    "description": "",
    "discount": None,
    "due_date": 1704899343,
    "days_until_due": 30,
    "metadata": {},
    "number": 0,
    "payment_method": "card_4bd5b06ff2ba990676e3b9e8695d790e",
    "payment": None,
    "payout": None,
    "payment_fields": None,
    "period_end": 0,
    "period_start": 0,
    "lines": [],
    "statement_descriptor": "",
    "subscription": "",
    "discount_amount": 0,
    "subtotal": 0,
    "tax": 0,
    "tax_percent": 10,
    "total": 0,
    "status": "draft",
    "payout_fields": None,
    "type": "payment",
    "next_payment_attempt": 1702310943,
    "automatic_attempt_count": 0,
}
EXAMPLE_OPERATION_ID = "799baea9-ef78-41df-b841-e752d2091538"
EXAMPLE_RESPONSE: dict[str, Any] = success_envelope(EXAMPLE_INVOICE, operation_id=EXAMPLE_OPERATION_ID)
EXAMPLE_QUEUED: dict[str, Any] = queued_envelope(
    {k: EXAMPLE_INVOICE[k] for k in ("id", "currency", "customer", "due_date", "metadata", "status", "type")},
    delivery_id=42,
    operation_id="5c0e4a3f9b2d4e8f8a1b6c7d9e0f1a2b",
    message=QUEUED_MESSAGE,
)


def example_error(code: str, message: str) -> dict[str, Any]:
    return {"status": {**_status(code, message), "operation_id": EXAMPLE_OPERATION_ID}}
