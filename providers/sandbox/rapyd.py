"""The Rapyd Collect invoices emulator, below /sandbox/rapyd/ on Rapyd's own /v1 paths.

Auth as Rapyd: `access_key`, `salt`, `timestamp` and `signature` headers, the signature verified over
the exact bytes received (providers.rapyd.signing); an unknown key, a bad signature, a timestamp more than
60 s off or a salt seen again within that window is 401 UNAUTHENTICATED_API_CALL. 200 requests a minute
(1 000 per 5 minutes) per access key, then 429. Writes honour the `idempotency` header for 24 h: a repeat
gets the first answer back and applies nothing. Answers in Rapyd's envelope {"status": {...}, "data": {...}};
amounts are JSON decimals.

State machine: draft -> open (finalize, once) -> paid | uncollectible | void; uncollectible -> paid | void;
draft -> deleted. Updates only while draft, and never on payout invoices.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils import timezone

from invoices.money import round_money
from providers.jsonnumbers import dumps_compact
from providers.rapyd import requests, signing
from providers.rapyd.requests import CREATABLE, NOT_FOUND, UNAUTHENTICATED, UPDATABLE
from providers.validation import is_number

from .credentials import sandbox_credentials
from .framework import (
    SandboxCall,
    SandboxError,
    get_object,
    list_objects,
    put_object,
    remember,
    replay,
    sandbox_view,
)
from .models import SandboxIdempotency

KIND = "rapyd"
INVOICES = "invoices"

RATE_LIMIT_PER_MINUTE = 200
RATE_LIMIT_PER_5_MINUTES = 1000
TIMESTAMP_TOLERANCE_S = 60
SALT_LENGTHS = range(8, 17)
IDEMPOTENCY_TTL = timedelta(hours=24)

MONEY_KEYS = ("subtotal", "tax", "total", "tax_percent", "discount_amount")
LINE_NUMBER_KEYS = ("amount", "quantity", "unit_amount")

# Rapyd headers spelled with an underscore, which Django's development server would otherwise drop.
UNDERSCORE_HEADERS = frozenset({"access_key"})


# -- envelopes -------------------------------------------------------------------------------------------
def _status(code: str = "", message: str = "") -> dict[str, str]:
    return {
        "error_code": code,
        "status": "ERROR" if code else "SUCCESS",
        "message": message,
        "response_code": code,
        "operation_id": str(uuid.uuid4()),
    }


def errors(status: int, code: str, message: str) -> HttpResponse:
    """Rapyd's error envelope: status.status ERROR, error_code == response_code, no data."""
    return HttpResponse(
        dumps_compact({"status": _status(code, message)}), status=status, content_type="application/json"
    )


def success(data: Any) -> HttpResponse:
    return HttpResponse(dumps_compact({"status": _status(), "data": data}), content_type="application/json")


# -- auth, rate limit, idempotency -----------------------------------------------------------------------
def _unauthenticated(message: str) -> SandboxError:
    return SandboxError(401, UNAUTHENTICATED, message)


def signed_path(request: HttpRequest) -> str:
    """The path Rapyd signs: from /v1, with the query string (the sandbox's /sandbox/rapyd prefix is not)."""
    full = request.get_full_path()
    return full[full.find("/v1/") :]


def _authenticate(call: SandboxCall) -> HttpResponse | None:
    request = call.request
    headers = request.headers
    access_key, salt = headers.get("access_key", ""), headers.get("salt", "")
    timestamp, given = headers.get("timestamp", ""), headers.get("signature", "")
    if not (access_key and salt and timestamp and given):
        raise _unauthenticated("The request is missing access_key, salt, timestamp or signature.")
    credentials = sandbox_credentials(KIND)
    if not hmac.compare_digest(access_key.encode(), credentials["access_key"].encode()):
        raise _unauthenticated("The access key is not recognised.")
    throttled = _throttle(access_key)
    if throttled is not None:
        return throttled
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_S:
        raise _unauthenticated("The timestamp is more than 60 seconds away from the server's time.")
    if len(salt) not in SALT_LENGTHS:
        raise _unauthenticated("The salt must be 8 to 16 characters.")
    expected = signing.signature(
        request.method or "",
        signed_path(request),
        salt,
        timestamp,
        access_key,
        credentials["secret_key"],
        call.text,
    )
    if not signing.matches(expected, given):
        raise _unauthenticated("The request signature does not match.")
    # Remembered for the whole window in which the same timestamp would still be accepted: a replayed request.
    if not cache.add(f"sandbox:rapyd:salt:{access_key}:{salt}", 1, timeout=2 * TIMESTAMP_TOLERANCE_S + 1):
        raise _unauthenticated("The salt was already used: the request looks replayed.")
    return None


def _throttle(access_key: str) -> HttpResponse | None:
    now = int(time.time())
    for window, limit in ((60, RATE_LIMIT_PER_MINUTE), (300, RATE_LIMIT_PER_5_MINUTES)):
        key = f"sandbox:rapyd:rate:{access_key}:{window}:{now // window}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count > limit:
            response = errors(429, "TOO_MANY_REQUESTS", f"More than {limit} requests in {window} seconds.")
            response["Retry-After"] = str(window - now % window)
            return response
    return None


def rapyd_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponseBase]]:
    """A Rapyd endpoint: authenticated, throttled, and idempotent for writes."""

    def decorate(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
        @sandbox_view(KIND, errors=errors, methods=methods)
        @wraps(handler)
        def view(call: SandboxCall, **kwargs: Any) -> HttpResponse:
            refused = _authenticate(call)
            if refused is not None:
                return refused
            if call.request.method == "GET":
                return handler(call, **kwargs)
            key = call.request.headers.get("idempotency", "")
            call.idempotency_key = key
            if key:
                SandboxIdempotency.objects.filter(
                    kind=KIND, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
                ).delete()
                first = replay(KIND, key, call.request)
                if first is not None:
                    return first
            response = handler(call, **kwargs)
            remember(KIND, key, call.request, response)
            return response

        return view

    return decorate


# -- the invoice object ----------------------------------------------------------------------------------
# Rapyd's request rules (providers/rapyd/requests.py) are the ones the back-office's mirror applies too.
def _refused(error: requests.RequestError) -> SandboxError:
    return SandboxError(error.status, error.code, error.message)


def _body(call: SandboxCall, *, required: bool) -> dict[str, Any]:
    try:
        return requests.parse_body(call.text, required=required)
    except requests.RequestError as exc:
        raise _refused(exc) from None


def _invalid(name: str, message: str) -> SandboxError:
    return _refused(requests.invalid(name, message))


def _check_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
    try:
        requests.check_fields(body, allowed)
    except requests.RequestError as exc:
        raise _refused(exc) from None


def _lines(raw: Any, currency: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise _invalid("lines", "lines must be a list.")
    lines = []
    for position, line in enumerate(raw, start=1):
        if not isinstance(line, dict) or not is_number(line.get("amount")):
            raise _invalid("lines", f"line {position} needs a numeric amount.")
        quantity = line.get("quantity", 1)
        if not is_number(quantity) or quantity <= 0:
            raise _invalid("lines", f"line {position}: quantity must be a positive number.")
        if not isinstance(line.get("description", ""), str):
            raise _invalid("lines", f"line {position}: description must be a string.")
        unit = line.get("unit_amount", line["amount"])
        if not is_number(unit):
            raise _invalid("lines", f"line {position}: unit_amount must be a number.")
        lines.append(
            {
                "id": f"il_{uuid.uuid4().hex}",
                "amount": str(round_money(Decimal(line["amount"]), currency)),
                "currency": currency,
                "description": line.get("description", ""),
                "quantity": str(quantity),
                "unit_amount": str(unit),
                "type": "invoiceitem",
            }
        )
    return lines


def _recompute(data: dict[str, Any]) -> None:
    currency = data["currency"]
    subtotal = sum((Decimal(line["amount"]) for line in data["lines"]), Decimal(0))
    if subtotal < 0:
        raise _invalid("lines", "The lines add up to a negative amount.")
    tax = round_money(subtotal * Decimal(data["tax_percent"]) / 100, currency)
    data["subtotal"], data["tax"] = str(round_money(subtotal, currency)), str(tax)
    data["total"] = str(round_money(subtotal + tax, currency))


def _apply(data: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """Apply updatable fields; returns the names whose value really changed."""
    before = dict(data)
    if "tax_percent" in body:
        if data["attempt_count"] and Decimal(body["tax_percent"]) != Decimal(data["tax_percent"]):
            raise _invalid("tax_percent", "tax_percent cannot change once a payment was attempted.")
        data["tax_percent"] = str(body["tax_percent"])
    if "days_until_due" in body:
        data["days_until_due"] = body["days_until_due"]
        data["due_date"] = data["created_at"] + body["days_until_due"] * 86_400
    if "due_date" in body:
        data["due_date"] = body["due_date"]
        data["days_until_due"] = max(0, (body["due_date"] - data["created_at"]) // 86_400)
    for name in ("description", "metadata", "payment_fields", "statement_descriptor"):
        if name in body:
            data[name] = body[name]
    _recompute(data)
    return [name for name in data if data[name] != before.get(name)]


def render(data: dict[str, Any]) -> dict[str, Any]:
    """The stored invoice (amounts kept as exact text) as Rapyd shows it (amounts as JSON numbers)."""
    shown = dict(data)
    for name in MONEY_KEYS:
        if shown.get(name) is not None:
            shown[name] = Decimal(shown[name])
    shown["lines"] = [
        {k: (Decimal(v) if k in LINE_NUMBER_KEYS else v) for k, v in line.items()} for line in data["lines"]
    ]
    return shown


def new_invoice(
    *,
    customer: str,
    currency: str,
    status: str = "draft",
    invoice_type: str = "payment",
    created_at: int | None = None,
) -> dict[str, Any]:
    created = int(time.time()) if created_at is None else created_at
    data: dict[str, Any] = {
        "id": f"invoice_{uuid.uuid4().hex}",
        "attempt_count": 0,
        "billing": "pay_automatically",
        "billing_reason": "manual",
        "created_at": created,
        "currency": currency,
        "customer": customer,
        "description": "",
        "discount": None,
        "due_date": created + 30 * 86_400,
        "days_until_due": 30,
        "metadata": {},
        "number": 0,
        "payment_method": None,
        "payment": None,
        "payout": None,
        "payment_fields": None,
        "period_end": 0,
        "period_start": 0,
        "lines": [],
        "statement_descriptor": "",
        "subscription": "",
        "discount_amount": "0",
        "subtotal": "0",
        "tax": "0",
        "tax_percent": "0",
        "total": "0",
        "status": status,
        "payout_fields": None,
        "type": invoice_type,
        "next_payment_attempt": created + 3_600,
        "automatic_attempt_count": 0,
    }
    _recompute(data)
    return data


def _load(invoice_id: str) -> dict[str, Any]:
    obj = get_object(KIND, INVOICES, invoice_id, lock=True)
    if obj is None or obj.data.get("status") == "deleted":
        raise SandboxError(404, NOT_FOUND, f"The invoice {invoice_id} was not found.")
    return dict(obj.data)


def _save(data: dict[str, Any]) -> HttpResponse:
    put_object(KIND, INVOICES, data["id"], data)
    return success(render(data))


# -- endpoints -------------------------------------------------------------------------------------------
@rapyd_view("GET", "POST")
def invoices(call: SandboxCall) -> HttpResponse:
    if call.request.method == "GET":
        try:
            limit = max(1, min(100, int(call.request.GET.get("limit", "10"))))
        except ValueError:
            raise _invalid("limit", "limit must be a number.") from None
        found = [o.data for o in list_objects(KIND, INVOICES) if o.data.get("status") != "deleted"]
        found.sort(key=lambda d: d["created_at"], reverse=True)
        return success([render(d) for d in found[:limit]])
    body = _body(call, required=True)
    _check_fields(body, CREATABLE)
    for name in ("customer", "currency"):
        if name not in body:
            raise _invalid(name, f"{name} is required.")
    data = new_invoice(customer=body["customer"], currency=body["currency"])
    data["lines"] = _lines(body.get("lines", []), body["currency"])
    for name in ("billing", "payment_method"):
        if name in body:
            data[name] = body[name]
    _apply(data, body)
    call.effect(f"created {data['id']}")
    return _save(data)


@rapyd_view("GET", "POST", "DELETE")
def invoice(call: SandboxCall, invoice_id: str) -> HttpResponse:
    data = _load(invoice_id)
    if call.request.method == "GET":
        return success(render(data))
    if call.request.method == "DELETE":
        if data["status"] != "draft":
            raise SandboxError(400, "ERROR_DELETE_NOT_DRAFT_INVOICE", "Only a draft invoice can be deleted.")
        data["status"] = "deleted"
        put_object(KIND, INVOICES, invoice_id, data)
        call.effect(f"deleted {invoice_id}")
        return success({"deleted": True, "id": invoice_id})
    body = _body(call, required=False)
    try:
        requests.check_updatable(data["type"], data["status"])
    except requests.RequestError as exc:
        raise _refused(exc) from None
    _check_fields(body, UPDATABLE)
    changed = _apply(data, body)
    if changed:
        call.effect(f"updated {invoice_id}: {', '.join(sorted(changed))}")
    return _save(data)


def _transition(
    call: SandboxCall, data: dict[str, Any], allowed: tuple[str, ...], to: str, code: str, message: str
) -> None:
    if data["status"] not in allowed:
        raise SandboxError(400, code, message)
    data["status"] = to
    call.effect(f"{to} {data['id']}")


def _next_number() -> int:
    return 1 + sum(1 for o in list_objects(KIND, INVOICES) if o.data.get("number"))


@rapyd_view("POST")
def finalize(call: SandboxCall, invoice_id: str) -> HttpResponse:
    data = _load(invoice_id)
    # Rapyd publishes no code for finalizing twice; this one is named after its other not-draft refusals.
    _transition(
        call,
        data,
        ("draft",),
        "open",
        "ERROR_FINALIZE_NOT_DRAFT_INVOICE",
        "Only a draft invoice can be finalized.",
    )
    data["number"] = _next_number()
    return _save(data)


@rapyd_view("POST")
def pay(call: SandboxCall, invoice_id: str) -> HttpResponse:
    data = _load(invoice_id)
    body = _body(call, required=False)
    if data["type"] != "payment":
        raise SandboxError(400, "ERROR_PAY_INVOICE_PAYMENT", "The invoice type is not payment.")
    # As for finalize, Rapyd publishes no code for paying an invoice that is neither open nor uncollectible.
    _transition(
        call,
        data,
        ("open", "uncollectible"),
        "paid",
        "ERROR_PAY_NOT_OPEN_INVOICE",
        "Only an open or uncollectible invoice can be paid.",
    )
    if isinstance(body.get("payment_method"), str):
        data["payment_method"] = body["payment_method"]
    data["attempt_count"] += 1
    data["payment"] = f"payment_{uuid.uuid4().hex}"
    return _save(data)


@rapyd_view("POST")
def void(call: SandboxCall, invoice_id: str) -> HttpResponse:
    data = _load(invoice_id)
    _transition(
        call,
        data,
        ("open", "uncollectible"),
        "void",
        "ERROR_VOID_NOT_UNCOLLECTIBLE_OR_OPEN_INVOICE",
        "The invoice is draft or paid. Can only void open or uncollectible invoice.",
    )
    return _save(data)


@rapyd_view("POST")
def mark_uncollectible(call: SandboxCall, invoice_id: str) -> HttpResponse:
    data = _load(invoice_id)
    _transition(
        call,
        data,
        ("open",),
        "uncollectible",
        "ERROR_MARK_UNCOLLECTIBLE_NOT_OPEN_INVOICE",
        "The invoice status was not 'open'.",
    )
    return _save(data)


urlpatterns: list[URLPattern] = [
    path("v1/invoices", invoices, name="rapyd-invoices"),
    path("v1/invoices/<str:invoice_id>", invoice, name="rapyd-invoice"),
    path("v1/invoices/<str:invoice_id>/finalize", finalize, name="rapyd-invoice-finalize"),
    path("v1/invoices/<str:invoice_id>/pay", pay, name="rapyd-invoice-pay"),
    path("v1/invoices/<str:invoice_id>/void", void, name="rapyd-invoice-void"),
    path(
        "v1/invoices/<str:invoice_id>/mark_uncollectible",
        mark_uncollectible,
        name="rapyd-invoice-uncollectible",
    ),
]


# -- seeding, for tests and the demo ---------------------------------------------------------------------
def seed_invoice(
    *,
    customer: str = "cus_893a041b7dd251ec894556564298dc13",
    currency: str = "USD",
    lines: list[dict[str, Any]] | None = None,
    status: str = "draft",
    invoice_type: str = "payment",
    tax_percent: Decimal | int = 0,
    attempt_count: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """Store an invoice as Rapyd would hold it; return it as Rapyd shows it. `lines` as in a create body."""
    data = new_invoice(customer=customer, currency=currency, status=status, invoice_type=invoice_type)
    data["lines"] = _lines(lines or [], currency)
    _apply(data, {"tax_percent": tax_percent, **fields})
    data["attempt_count"] = attempt_count
    if status not in ("draft", "deleted"):
        data["number"] = _next_number()
    put_object(KIND, INVOICES, data["id"], data)
    return render(data)


def stored_invoice(invoice_id: str) -> dict[str, Any] | None:
    obj = get_object(KIND, INVOICES, invoice_id)
    return render(obj.data) if obj is not None else None


# -- serving ---------------------------------------------------------------------------------------------
def serve_underscore_headers() -> None:
    """Let Django's development and test servers pass Rapyd's `access_key` header through.

    They drop every header whose name has an underscore, because `access_key` and `access-key` would both
    become HTTP_ACCESS_KEY. Rapyd's header is spelled with the underscore, so the exact names in
    UNDERSCORE_HEADERS are kept and their dash spellings dropped instead: the ambiguity stays closed.
    (Gunicorn drops them too unless started with `--header-map dangerous`.)"""
    from wsgiref.simple_server import WSGIRequestHandler as BaseHandler

    from django.core.servers.basehttp import WSGIRequestHandler

    def get_environ(self: WSGIRequestHandler) -> dict[str, str]:
        for name in set(self.headers.keys()):
            lowered = name.lower()
            dropped = "_" in name and lowered not in UNDERSCORE_HEADERS
            dash_spelled = "-" in name and lowered.replace("-", "_") in UNDERSCORE_HEADERS
            if dropped or dash_spelled:
                del self.headers[name]
        return BaseHandler.get_environ(self)

    WSGIRequestHandler.get_environ = get_environ  # type: ignore[method-assign]
