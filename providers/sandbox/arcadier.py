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
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, re_path

from providers.arcadier import payloads, requests
from providers.arcadier.requests import DENIED, CheckedPayment
from providers.arcadier.rules import GUID
from providers.jsonnumbers import dumps_compact, loads_decimal

from .credentials import sandbox_credentials, sandbox_identity
from .framework import SandboxCall, SandboxError, get_object, list_objects, put_object, sandbox_view

KIND = "arcadier"
TOKEN_LIFETIME_S = 10799
# The payment fields Arcadier keeps as sent, as they are named in a payment object.
GATEWAY_FIELDS = tuple(f"Gateway{name}" for name in payloads.GATEWAY_FIELDS)


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
def _apply(payment: CheckedPayment, order: dict[str, Any], now: int) -> str:
    """Record one payment on its order; answer the effect, or "" when the order already was in that state."""
    item = payment.item
    before = json.dumps(order, sort_keys=True)
    old_status = order["PaymentStatus"]
    new_status = payment.payment_status
    stored = dict(order.get("Payment") or {})
    stored["Status"] = payment.status
    # Arcadier fills the amounts and dates of a successful payment itself when they are not sent.
    stored["Total"] = str(payment.total if payment.total is not None else stored.get("Total", order["Total"]))
    stored["Fee"] = str(payment.fee if payment.fee is not None else stored.get("Fee", order["Fee"]))
    stored.setdefault("DateTimeCreated", now)
    if payment.paid:
        stored["DateTimePaid"] = payment.paid
    elif new_status == "Paid" and not stored.get("DateTimePaid"):
        stored["DateTimePaid"] = now
    stored["Refunded"] = payment.refunded or bool(stored.get("Refunded", False))
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
    orders = {str(o["ID"]).lower(): o for o in invoice["Orders"]}
    try:
        # Arcadier's rules for the payments array, which the back-office's mirror applies too.
        payments = requests.payments(_body(call), orders, (invoice["InvoiceNo"],))
    except requests.Refusal as exc:
        raise SandboxError(exc.status, exc.code, exc.message) from None
    now = int(time.time())
    answer = []
    for payment in payments:
        order = orders[payment.order_id.lower()]
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
