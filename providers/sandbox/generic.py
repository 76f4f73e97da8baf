"""Emulator of the generic invoicing API: `PUT /api/v1/Invoice/Update` (full replace), ASP.NET Core envelope.

Answers `{"succeeded", "message", "errors", "data": {"invoiceId", "amount"}}`: 200 on success, 400 with the
list of validation errors, 404 for an unknown invoice id, 401 without the configured credentials. The API
documents no idempotency: a repeated identical update changes nothing, so only the first records an effect.

What the seed leaves open, and how the sandbox decides it (unverified; change here if a deployment differs):
- auth: the seed says "no API key required"; the sandbox accepts a bearer token or an API-key header by
  default (`ACCEPTED_AUTH`), or anything when "none" is listed;
- discountType 1 is a percentage of the products' sum, any other type a fixed amount (the seed uses 2);
- taxes are percentages of the sum after discount; the amount is rounded half-up to 2 decimals;
- an optional `status` string is kept and echoed (the seed's short example shows "Pending").
"""

from __future__ import annotations

import secrets
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import HttpResponse
from django.urls import path

from providers.jsonnumbers import dumps_compact, loads_decimal

from .credentials import sandbox_credentials
from .framework import SandboxCall, SandboxError, get_object, put_object, sandbox_view

KIND = "generic"
ACCEPTED_AUTH: tuple[str, ...] = (
    "bearer",
    "api_key",
)  # add "none" to accept anonymous calls, as the seed says
API_KEY_HEADER = "X-Api-Key"
PERCENT_DISCOUNT_TYPE = 1

LIST_FIELDS = ("paymentMethods", "notification", "beforeDueDates", "afterDueDates")
BOOL_FIELDS = ("recuringInvoice", "onDueDate")
TEXT_FIELDS = ("counterPartyName", "accountName", "description", "status")


def envelope(succeeded: bool, message: str, errors: list[str], data: Any, status: int) -> HttpResponse:
    body = {"succeeded": succeeded, "message": message, "errors": errors, "data": data}
    return HttpResponse(dumps_compact(body), status=status, content_type="application/json; charset=utf-8")


def errors(status: int, code: str, message: str) -> HttpResponse:
    return envelope(False, message, [message], None, status)


# -- auth --------------------------------------------------------------------------------------------------
def _authenticated(call: SandboxCall) -> bool:
    if "none" in ACCEPTED_AUTH:
        return True
    expected = sandbox_credentials(KIND)
    if "bearer" in ACCEPTED_AUTH:
        scheme, _, token = call.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token and secrets.compare_digest(token, expected["token"]):
            return True
    if "api_key" in ACCEPTED_AUTH:
        key = call.request.headers.get(API_KEY_HEADER, "")
        if key and secrets.compare_digest(key, expected["api_key"]):
            return True
    return False


# -- validation --------------------------------------------------------------------------------------------
def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def validate(body: Any) -> list[str]:
    """The model binder's complaints as `$.path: reason` lines (none when the body is valid)."""
    if not isinstance(body, dict):
        return ["$: the body must be a JSON object (UpdateInvoice)."]
    problems: list[str] = []
    if body.get("id") in (None, ""):
        problems.append("$.id: the id field is required.")
    elif not _is_uuid(body["id"]):
        problems.append("$.id: a uuid is required.")
    for name in ("counterPartyId", "receivingAccountId"):
        if not _is_uuid(body.get(name)):
            problems.append(f"$.{name}: a uuid is required.")
    for name in TEXT_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            problems.append(f"$.{name}: a string is required.")
    due = body.get("dueDate")
    if due is not None and not _is_datetime(due):
        problems.append("$.dueDate: a date-time (ISO 8601) is required.")
    if "currency" not in body:
        problems.append("$.currency: the currency field is required.")
    for name in ("currency", "billingCycle"):
        if name in body and not _is_int(body[name]):
            problems.append(f"$.{name}: an integer is required.")
    for name in BOOL_FIELDS:
        if name in body and not isinstance(body[name], bool):
            problems.append(f"$.{name}: true or false is required.")
    for name in LIST_FIELDS:
        value = body.get(name, [])
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            problems.append(f"$.{name}: a list of integers is required.")
    problems += _validate_rows(body.get("products", []), "products", ("productId", "quantity", "unitPrice"))
    problems += _validate_rows(body.get("taxes", []), "taxes", ("taxId", "taxPercentageValue"))
    discount = body.get("discount")
    if discount is not None and (
        not isinstance(discount, dict)
        or not _is_int(discount.get("discountType"))
        or not _is_number(discount.get("discountValue"))
        or discount["discountValue"] < 0
    ):
        problems.append("$.discount: an integer discountType and a discountValue of at least 0 are required.")
    return problems


def _validate_rows(rows: Any, name: str, fields: tuple[str, ...]) -> list[str]:
    if not isinstance(rows, list):
        return [f"$.{name}: a list is required."]
    problems = []
    for index, row in enumerate(rows):
        where = f"$.{name}[{index}]"
        if not isinstance(row, dict):
            problems.append(f"{where}: an object is required.")
            continue
        if not _is_uuid(row.get(fields[0])):
            problems.append(f"{where}.{fields[0]}: a uuid is required.")
        if len(fields) == 3:
            if not _is_int(row.get("quantity")) or row["quantity"] <= 0:
                problems.append(f"{where}.quantity: an integer greater than 0 is required.")
            if not _is_number(row.get("unitPrice")) or row["unitPrice"] < 0:
                problems.append(f"{where}.unitPrice: a number of at least 0 is required.")
        elif not _is_number(row.get(fields[1])):
            problems.append(f"{where}.{fields[1]}: a number is required.")
    return problems


def _is_datetime(value: Any) -> bool:
    from django.utils.dateparse import parse_datetime

    if not isinstance(value, str):
        return False
    try:
        return parse_datetime(value.replace("Z", "+00:00")) is not None
    except ValueError:
        return False


# -- amounts and storage -----------------------------------------------------------------------------------
def amount_of(body: dict[str, Any]) -> Decimal:
    subtotal = sum((Decimal(p["quantity"]) * Decimal(p["unitPrice"]) for p in body.get("products", [])), Decimal(0))
    discount = body.get("discount") or {}
    value = Decimal(discount.get("discountValue", 0))
    off = subtotal * value / 100 if discount.get("discountType") == PERCENT_DISCOUNT_TYPE else value
    base = subtotal - off
    tax = sum((base * Decimal(t["taxPercentageValue"]) / 100 for t in body.get("taxes", [])), Decimal(0))
    return (base + tax).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _storable(value: Any) -> Any:
    """JSONField-safe copy: Decimals kept exact as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def stored_invoice(invoice_id: str) -> dict[str, Any] | None:
    obj = get_object(KIND, "invoices", invoice_id.lower())
    return dict(obj.data) if obj is not None else None


def seed_invoice(
    invoice_id: str | None = None,
    *,
    counter_party_id: str | None = None,
    receiving_account_id: str | None = None,
    amount: Decimal | str = "0.00",
    status: str = "Pending",
    **fields: Any,
) -> dict[str, Any]:
    """Create an invoice the sandbox holds (the API has no create endpoint); returns its stored data."""
    invoice_id = (invoice_id or str(uuid.uuid4())).lower()
    data = {
        "id": invoice_id,
        "counterPartyId": counter_party_id or str(uuid.uuid4()),
        "receivingAccountId": receiving_account_id or str(uuid.uuid4()),
        "status": status,
        **_storable(fields),
        "amount": str(Decimal(amount)),
    }
    put_object(KIND, "invoices", invoice_id, data)
    return data


# -- the endpoint ------------------------------------------------------------------------------------------
@sandbox_view(KIND, errors=errors, methods=("PUT",))
def update_invoice(call: SandboxCall) -> HttpResponse:
    if not _authenticated(call):
        response = envelope(False, "Unauthorized.", ["Missing or invalid credentials."], None, 401)
        response["WWW-Authenticate"] = 'Bearer realm="invoices"'
        return response
    try:
        body = loads_decimal(call.text) if call.text.strip() else None
    except ValueError:
        raise SandboxError(400, "INVALID_JSON", "The request body is not valid JSON.") from None
    problems = validate(body)
    if problems:
        return envelope(False, "One or more validation errors occurred.", problems, None, 400)
    assert isinstance(body, dict)
    key = body["id"].lower()
    current = get_object(KIND, "invoices", key, lock=True)
    if current is None:
        return envelope(False, "Invoice not found.", [f"No invoice with id {body['id']}."], None, 404)
    amount = amount_of(body)
    replaced = {**_storable(body), "id": key, "amount": str(amount)}
    if "status" not in body and "status" in current.data:
        replaced["status"] = current.data["status"]
    if replaced != current.data:
        put_object(KIND, "invoices", key, replaced)
        call.effect(f"invoice {key} replaced (amount {amount}, status {replaced.get('status', '')})")
    data: dict[str, Any] = {"invoiceId": key, "amount": amount}
    if replaced.get("status"):
        data["status"] = replaced["status"]
    return envelope(True, "Invoice updated successfully.", [], data, 200)


urlpatterns = [path("api/v1/Invoice/Update", update_invoice)]
