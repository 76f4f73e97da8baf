"""Emulator of modulus® invoicing v1: Authenticate, create an invoice (POST) and change its status (PATCH).

Envelope `{"result", "title", "message", "object"}`; errors carry `"object": {"error_code": N}` with the codes
of modulus' invoicing error table. Tokens come from `POST /api/cmn/Authenticate` (form fields app and secret)
and expire 15 minutes after creation; every invoice call passes `?token=`. modulus documents no idempotency:
none is honoured here, and a status already held is answered with success and no effect.

Where the documents are silent the sandbox decides, and says so: an unknown invoice id, a number that does not
match the id, and a voided invoice sent back to STATUS_SENT are refused with 400 (voided invoices are final).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.urls import path

from invoices.currencies import is_known
from providers.jsonnumbers import dumps_compact
from providers.modulus import requests
from providers.modulus.payloads import VOID_DATE_FORMAT
from providers.modulus.status import DRAFT, SENT, VOID
from providers.validation import is_number, is_positive_int

from .credentials import sandbox_credentials
from .framework import SandboxCall, SandboxError, get_object, list_objects, put_object, sandbox_view
from .models import SandboxObject

KIND = "modulus"
TOKEN_LIFETIME_S = 15 * 60
FIRST_INVOICE_ID = 1000
TITLES = {400: "Error", 401: "Unauthorized", 500: "Error"}


def envelope(result: bool, title: str, message: str, obj: Any = None, *, status: int = 200) -> HttpResponse:
    body = {"result": result, "title": title, "message": message, "object": obj}
    return HttpResponse(dumps_compact(body), status=status, content_type="application/json; charset=utf-8")


def errors(status: int, code: str, message: str) -> HttpResponse:
    obj = {"error_code": int(code)} if code.isdigit() else None
    return envelope(False, TITLES.get(status, "Error"), message, obj, status=status)


def refuse(code: int, message: str) -> SandboxError:
    return SandboxError(400, str(code), message)


def _refused(refusal: requests.Refusal) -> SandboxError:
    """A refusal by modulus' request rules (providers/modulus/requests.py, which the back-office's mirror
    applies too), in the sandbox's terms: no error code where modulus gives none."""
    code = "" if refusal.error_code is None else str(refusal.error_code)
    return SandboxError(refusal.status, code, refusal.message)


# -- tokens ------------------------------------------------------------------------------------------------
def _digest(token: str) -> str:
    # Tokens are kept by digest only, as the Arcadier emulator keeps its own: its tables never hold a usable token.
    return hashlib.sha256(token.encode()).hexdigest()


@sandbox_view(KIND, errors=errors, methods=("POST",))
def authenticate(call: SandboxCall) -> HttpResponse:
    app, secret = call.request.POST.get("app", ""), call.request.POST.get("secret", "")
    if not app or not secret:
        message = "Missing one or more of parameters account, app, secret."
        return envelope(False, "Bad Request", message, status=400)
    expected = sandbox_credentials(KIND)
    if not (secrets.compare_digest(app, expected["app"]) and secrets.compare_digest(secret, expected["secret"])):
        return envelope(False, "Unauthorized", "Authentication failed.", status=401)
    token = secrets.token_hex(16)
    put_object(KIND, "tokens", _digest(token), {"issued_at": time.time()})
    call.effect("token issued")
    ip = call.request.META.get("REMOTE_ADDR", "")
    return envelope(True, "Success", "Authentication succeeded.", {"token": token, "app_id": "1", "ip": ip})


def _check_token(call: SandboxCall) -> None:
    token = call.request.GET.get("token", "")
    held = get_object(KIND, "tokens", _digest(token)) if token else None
    if held is None or time.time() >= float(held.data["issued_at"]) + TOKEN_LIFETIME_S:
        raise SandboxError(401, "", "Invalid or expired token.")


def expire_tokens() -> int:
    """End every issued token now, as modulus does after 15 minutes (for tests of the renewal on 401)."""
    expired = 0
    for obj in list_objects(KIND, "tokens"):
        put_object(KIND, "tokens", obj.key, {"issued_at": time.time() - TOKEN_LIFETIME_S})
        expired += 1
    return expired


# -- invoices ----------------------------------------------------------------------------------------------
def seed_invoice(invoice_id: int, invoice_number: str, status: str = SENT, **fields: Any) -> dict[str, Any]:
    """An invoice modulus holds, as if created earlier in its own UI."""
    data = {"invoice_id": invoice_id, "invoice_number": invoice_number, "status": status, **fields}
    put_object(KIND, "invoices", str(invoice_id), data)
    return data


def stored_invoice(invoice_id: int | str) -> dict[str, Any] | None:
    obj = get_object(KIND, "invoices", str(invoice_id))
    return dict(obj.data) if obj is not None else None


def _next_invoice_id() -> int:
    # The counter row is locked so that two creates at once never share an id; seeded ids are skipped over.
    counter = get_object(KIND, "counters", "invoice_id", lock=True)
    last = int(counter.data["last"]) if counter is not None else 0
    numeric = SandboxObject.objects.filter(kind=KIND, collection="invoices", key__regex=r"^[0-9]+$")
    highest = numeric.annotate(n=Cast("key", BigIntegerField())).aggregate(top=Max("n"))["top"] or 0
    invoice_id = max(FIRST_INVOICE_ID, last + 1, highest + 1)
    put_object(KIND, "counters", "invoice_id", {"last": invoice_id})
    return invoice_id


def _date(value: Any, code: int, message: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise refuse(code, message) from None


@sandbox_view(KIND, errors=errors, methods=("POST", "PATCH"))
def invoice(call: SandboxCall) -> HttpResponse:
    _check_token(call)
    try:
        body = requests.read_body(call.text)
    except requests.Refusal as exc:
        raise _refused(exc) from None
    if call.request.method == "PATCH":
        return _update(call, body)
    return _create(call, body)


def _update(call: SandboxCall, body: dict[str, Any]) -> HttpResponse:
    try:
        update = requests.read_update(body)
    except requests.Refusal as exc:
        raise _refused(exc) from None
    invoice_id, status = update.invoice_id, update.status
    obj = get_object(KIND, "invoices", str(invoice_id), lock=True)
    if obj is None:
        raise SandboxError(400, "", "Invoice not found.")
    held = dict(obj.data)
    if update.invoice_number != str(held["invoice_number"]).strip():
        raise SandboxError(400, "", "The invoice number does not match the invoice.")
    void_date = ""
    if status == VOID:
        try:
            void_date = requests.void_date(update.void_date, datetime.now(UTC)) or ""
        except requests.Refusal as exc:
            raise _refused(exc) from None
    if held["status"] == VOID and status != VOID:
        raise refuse(5505, "Invalid status.")
    if held["status"] != status:
        previous = held["status"]
        held["status"] = status
        if status == VOID:
            held["void_date"] = void_date or datetime.now(UTC).strftime(VOID_DATE_FORMAT)
        put_object(KIND, "invoices", str(invoice_id), held)
        call.effect(f"invoice {invoice_id} {previous} -> {status}" + (f" on {void_date}" if void_date else ""))
    return HttpResponse(
        dumps_compact({"result": True, "title": "Success", "message": "Invoice Status changed successfully"}),
        content_type="application/json; charset=utf-8",
    )


def _create(call: SandboxCall, body: dict[str, Any]) -> HttpResponse:
    _check_customer(body.get("customer_details"))
    if not body.get("branch_code"):
        raise refuse(5522, "Missing branch code.")
    issue = _date(body.get("issue_date"), 5523, "Missing or invalid issue date.")
    due = _date(body.get("due_date"), 5524, "Missing or invalid due date.")
    if issue > due:
        raise refuse(5506, "Issue date can not be after due date.")
    if body.get("book_id") in (None, ""):
        raise refuse(5525, "Missing invoice book.")
    if not is_positive_int(body["book_id"]):
        raise refuse(5503, "Invalid book.")
    status = body.get("status")
    if not status:
        raise refuse(5526, "Missing status.")
    if status not in (DRAFT, SENT):
        raise refuse(5505, "Invalid status.")
    if body.get("payment_term_id") in (None, ""):
        raise refuse(5527, "Missing payment term.")
    if not is_positive_int(body["payment_term_id"]):
        raise refuse(5512, "Invalid payment term.")
    _check_items(body.get("items"))
    invoice_id = _next_invoice_id()
    number = f"INV_{issue:%Y_%m_%d}_{invoice_id}"
    seed_invoice(invoice_id, number, status, **_storable({k: v for k, v in body.items() if k != "status"}))
    call.effect(f"invoice {invoice_id} created as {status}")
    return envelope(
        True, "Success", "Invoice added successfully.", {"invoice_id": invoice_id, "invoice_number": number}
    )


def _check_customer(customer: Any) -> None:
    if not isinstance(customer, dict):
        raise refuse(5500, "Invalid Customer.")
    if not customer.get("code"):
        raise refuse(5677, "Missing customer code.")
    if not customer.get("name"):
        raise refuse(5675, "Missing customer name.")
    if not customer.get("type"):
        raise refuse(5676, "Missing customer type.")
    if customer["type"] not in ("individual", "organization"):
        raise refuse(5597, "Invalid type value. Allowed values are individual or organization.")
    if customer.get("currency") is not None and not is_known(customer["currency"]):
        raise refuse(5609, "Invalid currency.")


def _check_items(items: Any) -> None:
    if not isinstance(items, list) or not items:
        raise refuse(5528, "Document must has one or more item row.")
    for index, item in enumerate(items):
        required = ("item_code", "unit_id", "quantity")
        if not isinstance(item, dict) or any(item.get(k) in (None, "") for k in required):
            raise refuse(5529, f"Missing code, unit or quantity in item row with index {index}.")
        if not is_positive_int(item["unit_id"]):
            raise refuse(5509, f"Invalid Unit at row with index {index}.")
        quantity, price = item["quantity"], item.get("unit_price", 0)
        if not is_number(quantity) or quantity <= 0 or not is_number(price) or price < 0:
            raise refuse(5507, "Some rows are invalid.")


def _storable(value: Any) -> Any:
    """JSONField-safe copy: Decimals kept exact as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


urlpatterns = [
    path("api/cmn/Authenticate", authenticate),
    path("api/inv/v1/Invoice", invoice),
]
