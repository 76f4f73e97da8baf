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

from providers.generic.requests import INVALID_JSON_MESSAGE, VALIDATION_MESSAGE, read_body, validate
from providers.jsonnumbers import dumps_compact

from .credentials import sandbox_credentials
from .framework import SandboxCall, SandboxError, get_object, put_object, sandbox_view

KIND = "generic"
ACCEPTED_AUTH: tuple[str, ...] = (
    "bearer",
    "api_key",
)  # add "none" to accept anonymous calls, as the seed says
API_KEY_HEADER = "X-Api-Key"
PERCENT_DISCOUNT_TYPE = 1


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
        body = read_body(call.text)
    except ValueError:
        raise SandboxError(400, "INVALID_JSON", INVALID_JSON_MESSAGE) from None
    problems = validate(body)  # the API's request rules, shared with the back-office's mirror
    if problems:
        return envelope(False, VALIDATION_MESSAGE, problems, None, 400)
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
