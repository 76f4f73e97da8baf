"""Arcadier marketplace API v2, emulated below /sandbox/arcadier/.

- `POST /token`: form-urlencoded client credentials with `scope=admin`; OAuth-style 400 errors.
- `PUT|POST /api/v2/admins/{adminID}/invoices/{invoiceNo}`: an array of payments, one per order.
- `GET /api/v2/admins/{adminID}/transactions/{invoiceNo}`: the invoice, its orders and their PaymentStatus.
- `POST /api/v2/emails` with `{"Type": "invoice", "InvoiceNo": …}`: the system invoice email.

Every API path needs `Authorization: Bearer` with a live admin token. Errors outside /token use ASP.NET Web
API's `{"Message": …}` body, with a `Code` naming the rule. Arcadier documents no idempotency key, so none is
honoured; the payments update sets state, so a repeat changes nothing and records no effect.
Amounts are kept as decimal strings and written as JSON numbers, never through float.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, re_path

from providers.jsonnumbers import dumps_compact, loads_decimal

from .credentials import sandbox_credentials, sandbox_identity
from .framework import SandboxCall, SandboxError, get_object, list_objects, put_object, sandbox_view

KIND = "arcadier"
TOKEN_LIFETIME_S = 10799
DENIED = "Authorization has been denied for this request."
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# A payment's `Status` (no official enum; Arcadier's own docs vary the case) -> the order's PaymentStatus.
PAYMENT_STATUSES: dict[str, str] = {
    "success": "Paid",
    "paid": "Paid",
    "acknowledged": "Acknowledged",
    "processing": "Processing",
    "waiting for payment": "Waiting for Payment",
    "pending": "Pending",
    "failed": "Failed",
    "refunded": "Refunded",
}
GATEWAY_FIELDS = tuple(
    f"Gateway{name}"
    for name in (
        "PayKey",
        "TransactionID",
        "Status",
        "TimeStamp",
        "Ref",
        "CorrelationId",
        "SenderId",
        "SenderRef",
        "ReceiverId",
        "ReceiverRef",
        "Payload",
    )
)


# -- envelopes -----------------------------------------------------------------------------------------------
def _answer(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps_compact(data), status=status, content_type="application/json; charset=utf-8")


def api_error(status: int, code: str, message: str) -> HttpResponse:
    return _answer({"Message": message, "Code": code}, status)


def oauth_error(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": code}
    if message:
        body["error_description"] = message
    return _answer(body, status)


def _body(call: SandboxCall) -> Any:
    text = call.text
    if not text.strip():
        raise SandboxError(400, "INVALID_BODY", "The request body is empty.")
    try:
        return loads_decimal(text)
    except ValueError:
        raise SandboxError(400, "INVALID_JSON", "The request body is not valid JSON.") from None


# -- tokens --------------------------------------------------------------------------------------------------
def admin_id() -> str:
    return sandbox_identity(KIND)["admin_id"]


def _digest(token: str) -> str:
    # Tokens are kept by digest only, so the sandbox's own tables never hold a usable bearer.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(expires_in: int = TOKEN_LIFETIME_S) -> dict[str, Any]:
    """Issue an admin token (what POST /token answers); tests use a negative lifetime for an expired one."""
    token = secrets.token_urlsafe(48)
    put_object(KIND, "tokens", _digest(token), {"admin_id": admin_id(), "expires_at": time.time() + expires_in})
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": secrets.token_hex(16),
        "UserId": admin_id(),
    }


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@sandbox_view(KIND, errors=oauth_error, methods=("POST",))
def token(call: SandboxCall) -> HttpResponse:
    form = call.request.POST  # empty unless the body is form-urlencoded, as Arcadier requires
    expected = sandbox_credentials(KIND)
    client_ok = _same(form.get("client_id", ""), expected["client_id"])
    if not (client_ok and _same(form.get("client_secret", ""), expected["client_secret"])):
        raise SandboxError(400, "invalid_client", "")
    if form.get("grant_type") != "client_credentials":
        raise SandboxError(400, "unsupported_grant_type", "")
    if form.get("scope") != "admin":
        raise SandboxError(400, "invalid_scope", "")
    issued = issue_token()
    call.effect("admin token issued")
    return _answer(issued)


def _authenticate(call: SandboxCall, path_admin: str | None = None) -> None:
    scheme, _, value = call.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise SandboxError(401, "UNAUTHORIZED", DENIED)
    stored = get_object(KIND, "tokens", _digest(value.strip()))
    if stored is None or float(stored.data["expires_at"]) <= time.time():
        raise SandboxError(401, "UNAUTHORIZED", DENIED)
    if path_admin is not None and path_admin.lower() != str(stored.data["admin_id"]).lower():
        raise SandboxError(403, "FORBIDDEN", f"The token does not belong to admin {path_admin}.")


# -- transactions --------------------------------------------------------------------------------------------
def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    return str(amount)


def seed_transaction(invoice_no: str, *, orders: Iterable[Mapping[str, Any]], currency: str = "USD") -> dict[str, Any]:
    """Create (or replace) a checked-out invoice: orders as dicts with order_id, payee_id, payer_id, total and
    optionally fee and payment_status (Pending by default)."""
    stored = []
    for order in orders:
        for name in ("order_id", "payee_id", "payer_id"):
            if not GUID.match(str(order.get(name, ""))):
                raise ValueError(f"{name} must be a GUID, got {order.get(name)!r}")
        stored.append(
            {
                "ID": str(order["order_id"]),
                "MerchantID": str(order["payee_id"]),
                "ConsumerID": str(order["payer_id"]),
                "PaymentStatus": str(order.get("payment_status", "Pending")),
                "Total": _money(order.get("total", "0")),
                "Fee": _money(order.get("fee", "0")),
                "Payment": {},
            }
        )
    data = {
        "InvoiceNo": invoice_no,
        "CurrencyCode": currency,
        "DateTimeCreated": int(time.time()),
        "Orders": stored,
    }
    put_object(KIND, "transactions", invoice_no, data)
    return data


def transaction_state(invoice_no: str) -> dict[str, Any] | None:
    stored = get_object(KIND, "transactions", invoice_no)
    return None if stored is None else dict(stored.data)


def sent_emails(invoice_no: str) -> list[dict[str, Any]]:
    return [obj.data for obj in list_objects(KIND, "emails") if obj.data.get("InvoiceNo") == invoice_no]


def _transaction(invoice_no: str) -> Any:
    stored = get_object(KIND, "transactions", invoice_no, lock=True)
    if stored is None:
        raise SandboxError(404, "INVOICE_NOT_FOUND", f"No invoice {invoice_no} was found.")
    return stored


def _payment_view(order: Mapping[str, Any], invoice: Mapping[str, Any]) -> dict[str, Any]:
    payment = order.get("Payment") or {}
    view: dict[str, Any] = {
        "InvoiceNo": invoice["InvoiceNo"],
        "Payee": {"ID": order["MerchantID"]},
        "Payer": {"ID": order["ConsumerID"]},
        "Order": {"ID": order["ID"], "PaymentStatus": order["PaymentStatus"]},
        "Total": Decimal(payment.get("Total", order["Total"])),
        "Fee": Decimal(payment.get("Fee", order["Fee"])),
        "Status": payment.get("Status", ""),
        "Refunded": bool(payment.get("Refunded", False)),
        "RefundedRef": payment.get("RefundedRef"),
        "Gateway": {"Code": payment.get("GatewayCode")},
    }
    for name in GATEWAY_FIELDS:
        view[name] = payment.get(name)
    view["CurrencyCode"] = invoice["CurrencyCode"]
    view["DateTimeCreated"] = payment.get("DateTimeCreated", 0)
    view["DateTimePaid"] = payment.get("DateTimePaid", 0)
    return view


# -- payments update -----------------------------------------------------------------------------------------
def _guid(item: Mapping[str, Any], field: str, position: int, *, required: bool) -> str | None:
    holder = item.get(field)
    if holder is None and not required:
        return None
    value = holder.get("ID") if isinstance(holder, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not GUID.match(value):
        raise SandboxError(400, "INVALID_GUID", f"Payment {position}: {field}.ID {value!r} is not a valid GUID.")
    return value


def _amount(item: Mapping[str, Any], field: str, position: int) -> Decimal | None:
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise SandboxError(400, "INVALID_AMOUNT", f"Payment {position}: {field} must be a number of at least 0.")
    return Decimal(value)


def _validated(position: int, item: Any, invoice: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise SandboxError(400, "INVALID_PAYMENT", f"Payment {position} must be an object.")
    number = item.get("InvoiceNo")
    if number is not None and number != invoice["InvoiceNo"]:
        raise SandboxError(
            400,
            "INVOICE_MISMATCH",
            f"Payment {position}: InvoiceNo {number!r} is not invoice {invoice['InvoiceNo']}.",
        )
    order_id = _guid(item, "Order", position, required=True)
    _guid(item, "Payee", position, required=False)
    _guid(item, "Payer", position, required=False)
    if not any(str(o["ID"]).lower() == str(order_id).lower() for o in invoice["Orders"]):
        raise SandboxError(
            400,
            "ORDER_NOT_IN_INVOICE",
            f"Payment {position}: order {order_id} is not part of invoice {invoice['InvoiceNo']}.",
        )
    status = item.get("Status")
    if not isinstance(status, str) or status.strip().lower() not in PAYMENT_STATUSES:
        raise SandboxError(400, "INVALID_STATUS", f"Payment {position}: Status {status!r} is not a payment status.")
    paid = item.get("DateTimePaid")
    if paid is not None and (isinstance(paid, bool) or not isinstance(paid, int) or paid < 0):
        raise SandboxError(400, "INVALID_DATE", f"Payment {position}: DateTimePaid must be Unix seconds.")
    if "Refunded" in item and not isinstance(item["Refunded"], bool):
        raise SandboxError(400, "INVALID_PAYMENT", f"Payment {position}: Refunded must be true or false.")
    gateway = item.get("Gateway")
    if gateway is not None and not isinstance(gateway, dict):
        raise SandboxError(400, "INVALID_PAYMENT", f"Payment {position}: Gateway must be an object.")
    return {
        "order_id": order_id,
        "status": status,
        "total": _amount(item, "Total", position),
        "fee": _amount(item, "Fee", position),
        "paid": paid or 0,
        "item": item,
    }


def _apply(payment: Mapping[str, Any], order: dict[str, Any], now: int) -> str:
    """Record one payment on its order; answer the effect, or "" when the order already was in that state."""
    item = payment["item"]
    before = json.dumps(order, sort_keys=True)
    old_status = order["PaymentStatus"]
    refunded = item.get("Refunded") is True
    new_status = "Refunded" if refunded else PAYMENT_STATUSES[payment["status"].strip().lower()]
    stored = dict(order.get("Payment") or {})
    stored["Status"] = payment["status"]
    # Arcadier fills the amounts and dates of a successful payment itself when they are not sent.
    stored["Total"] = str(payment["total"] if payment["total"] is not None else stored.get("Total", order["Total"]))
    stored["Fee"] = str(payment["fee"] if payment["fee"] is not None else stored.get("Fee", order["Fee"]))
    stored.setdefault("DateTimeCreated", now)
    if payment["paid"]:
        stored["DateTimePaid"] = payment["paid"]
    elif new_status == "Paid" and not stored.get("DateTimePaid"):
        stored["DateTimePaid"] = now
    stored["Refunded"] = refunded or bool(stored.get("Refunded", False))
    for name in ("RefundedRef", *GATEWAY_FIELDS):
        if item.get(name) is not None:
            stored[name] = str(item[name])
    if isinstance(item.get("Gateway"), dict) and item["Gateway"].get("Code") is not None:
        stored["GatewayCode"] = str(item["Gateway"]["Code"])
    order["Payment"] = stored
    order["PaymentStatus"] = new_status
    if json.dumps(order, sort_keys=True) == before:
        return ""
    if new_status != old_status:
        return f"order {order['ID']} PaymentStatus {old_status} -> {new_status}"
    return f"order {order['ID']} payment details updated"


@sandbox_view(KIND, errors=api_error, methods=("PUT", "POST"))
def invoice_payments(call: SandboxCall, admin: str, invoice_no: str) -> HttpResponse:
    _authenticate(call, admin)
    stored = _transaction(invoice_no)
    invoice = stored.data
    items = _body(call)
    if not isinstance(items, list) or not items:
        raise SandboxError(400, "INVALID_BODY", "The body must be a non-empty array of payments, one per order.")
    payments = [_validated(position, item, invoice) for position, item in enumerate(items, start=1)]
    orders = {str(o["ID"]).lower(): o for o in invoice["Orders"]}
    now = int(time.time())
    answer = []
    for payment in payments:
        order = orders[payment["order_id"].lower()]
        effect = _apply(payment, order, now)
        if effect:
            call.effect(f"invoice {invoice_no}: {effect}")
        answer.append(_payment_view(order, invoice))
    if call.effects:
        put_object(KIND, "transactions", invoice_no, invoice)
    return _answer(answer)


@sandbox_view(KIND, errors=api_error, methods=("GET",))
def transaction(call: SandboxCall, admin: str, invoice_no: str) -> HttpResponse:
    _authenticate(call, admin)
    invoice = _transaction(invoice_no).data
    orders = []
    total = fee = Decimal("0")
    for order in invoice["Orders"]:
        payment = _payment_view(order, invoice)
        total, fee = total + payment["Total"], fee + payment["Fee"]
        orders.append(
            {
                "ID": order["ID"],
                "MerchantDetail": {"ID": order["MerchantID"]},
                "ConsumerDetail": {"ID": order["ConsumerID"]},
                "PaymentStatus": order["PaymentStatus"],
                "GrandTotal": Decimal(order["Total"]),
                "CurrencyCode": invoice["CurrencyCode"],
                "PaymentDetails": [payment] if order.get("Payment") else [],
            }
        )
    return _answer(
        {
            "InvoiceNo": invoice["InvoiceNo"],
            "CurrencyCode": invoice["CurrencyCode"],
            "Total": total,
            "Fee": fee,
            "DateTimeCreated": invoice["DateTimeCreated"],
            "Orders": orders,
        }
    )


# -- emails --------------------------------------------------------------------------------------------------
@sandbox_view(KIND, errors=api_error, methods=("POST",))
def emails(call: SandboxCall) -> HttpResponse:
    _authenticate(call)
    body = _body(call)
    if not isinstance(body, dict) or body.get("Type") != "invoice":
        raise SandboxError(400, "INVALID_EMAIL_TYPE", 'Type must be "invoice".')
    invoice_no = body.get("InvoiceNo")
    if not isinstance(invoice_no, str) or not invoice_no:
        raise SandboxError(400, "MISSING_INVOICE_NO", "InvoiceNo is required.")
    _transaction(invoice_no)
    put_object(KIND, "emails", uuid.uuid4().hex, {"InvoiceNo": invoice_no, "SentAt": int(time.time())})
    call.effect(f"invoice email sent for {invoice_no}")
    return _answer({"Result": True})


urlpatterns: list[URLPattern] = [
    re_path(r"^token/?$", token),
    re_path(r"^api/v2/admins/(?P<admin>[^/]+)/invoices/(?P<invoice_no>[^/]+)/?$", invoice_payments),
    re_path(r"^api/v2/admins/(?P<admin>[^/]+)/transactions/(?P<invoice_no>[^/]+)/?$", transaction),
    re_path(r"^api/v2/emails/?$", emails),
]
