"""What every emulated provider shares: fault injection, the request log, idempotency records, JSON parsing.

An emulator module writes plain Django views and wraps them with `sandbox_view(kind, errors=...)`, where `errors`
builds an error answer in that provider's own envelope (faults answer in the provider's envelope too).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from providers.redaction import redact_body, redact_headers, redact_url

from .credentials import all_secret_values
from .models import SandboxFault, SandboxIdempotency, SandboxObject, SandboxRequest

logger = logging.getLogger("providers.sandbox")

ErrorFactory = Callable[[int, str, str], HttpResponse]
"""(http status, provider error code, message) -> a response in the provider's envelope."""

FAULT_NAMES = ("latency", "5xx", "503", "429", "drop", "timeout", "malformed", "ok")


class SandboxError(Exception):
    """Raised by emulator code to answer with the provider's error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class FaultPlan:
    latency_ms: int = 0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after_s: int = 1
    drop_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 30.0
    malformed_rate: float = 0.0
    down: bool = False
    scripted: str = ""

    def choose(self, rng: random.Random) -> str:
        if self.scripted:
            return self.scripted
        if self.down:
            return "503"
        for name, rate in (
            ("drop", self.drop_rate),
            ("429", self.throttle_rate),
            ("5xx", self.error_rate),
            ("timeout", self.timeout_rate),
            ("malformed", self.malformed_rate),
        ):
            if rate and rng.random() < rate:
                return name
        return ""


_rng = random.Random()  # noqa: S311 - fault injection, not cryptography


def fault_plan(kind: str) -> FaultPlan:
    """The faults for this request: the admin-editable row, overridden by SANDBOX_FAULTS; pops a scripted fault."""
    plan = FaultPlan()
    with transaction.atomic():
        row = SandboxFault.objects.select_for_update().filter(kind=kind).first()
        if row is not None:
            for name in ("latency_ms", "error_rate", "throttle_rate", "retry_after_s", "drop_rate", "timeout_rate"):
                setattr(plan, name, getattr(row, name))
            plan.timeout_s, plan.malformed_rate, plan.down = row.timeout_s, row.malformed_rate, row.down
            if row.next_faults:
                plan.scripted = str(row.next_faults[0])
                row.next_faults = row.next_faults[1:]
                row.save(update_fields=["next_faults"])
    env_faults: dict[str, Any] = {**settings.SANDBOX_FAULTS.get("*", {}), **settings.SANDBOX_FAULTS.get(kind, {})}
    for name, value in env_faults.items():
        if hasattr(plan, name) and name != "scripted":
            setattr(plan, name, type(getattr(plan, name))(value))
    return plan


@dataclass
class SandboxCall:
    """The request as an emulator sees it, and what the emulator tells the log."""

    kind: str
    request: HttpRequest
    effects: list[str] = field(default_factory=list)
    idempotency_key: str = ""

    @property
    def raw_body(self) -> bytes:
        return self.request.body

    @property
    def text(self) -> str:
        try:
            return self.request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise SandboxError(400, "INVALID_BODY", "The body is not UTF-8.") from None

    def json(self) -> Any:
        text = self.text
        if not text.strip():
            raise SandboxError(400, "INVALID_BODY", "A JSON body is required.")
        try:
            return json.loads(text)
        except ValueError:
            raise SandboxError(400, "INVALID_JSON", "The body is not valid JSON.") from None

    def effect(self, description: str) -> None:
        """Record a state change this request applied (the log proves each effect happened once)."""
        self.effects.append(description[:300])


# -- objects ------------------------------------------------------------------------------------------------------
def get_object(kind: str, collection: str, key: str, *, lock: bool = False) -> SandboxObject | None:
    qs = SandboxObject.objects.filter(kind=kind, collection=collection, key=key)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def put_object(kind: str, collection: str, key: str, data: dict[str, Any]) -> SandboxObject:
    obj, _ = SandboxObject.objects.update_or_create(kind=kind, collection=collection, key=key, defaults={"data": data})
    return obj


def list_objects(kind: str, collection: str) -> list[SandboxObject]:
    return list(SandboxObject.objects.filter(kind=kind, collection=collection))


# -- idempotency --------------------------------------------------------------------------------------------------
def replay(kind: str, key: str, request: HttpRequest) -> HttpResponse | None:
    """The first answer given for this idempotency key, if any (same method and path only)."""
    if not key:
        return None
    record = SandboxIdempotency.objects.filter(kind=kind, key=key).first()
    if record is None:
        return None
    if record.fingerprint != _fingerprint(request):
        return None
    return HttpResponse(record.response_body, status=record.status_code, content_type="application/json")


def remember(kind: str, key: str, request: HttpRequest, response: HttpResponse) -> None:
    if key and response.status_code < 500 and response.status_code != 429:
        SandboxIdempotency.objects.get_or_create(
            kind=kind,
            key=key,
            defaults={
                "fingerprint": _fingerprint(request),
                "status_code": response.status_code,
                "response_body": response.content.decode("utf-8", "replace"),
            },
        )


def _fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(f"{request.method} {request.get_full_path()}".encode()).hexdigest()


# -- the decorator ------------------------------------------------------------------------------------------------
def sandbox_view(
    kind: str, *, errors: ErrorFactory, methods: tuple[str, ...]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponseBase]]:
    """Wrap an emulator view: method check, faults, provider-envelope errors, request log.

    The view receives (call: SandboxCall, **url_kwargs). It runs in a transaction: a SandboxError or any failure
    rolls its state changes back, so an error answer never leaves a half-applied effect."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            call = SandboxCall(kind=kind, request=request)
            if request.method not in methods:
                response = errors(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here.")
                response["Allow"] = ", ".join(methods)
                return _log(call, response, fault="")
            plan = fault_plan(kind)
            fault = plan.choose(_rng)
            if plan.latency_ms or fault == "latency":
                time.sleep((plan.latency_ms or 200) / 1000)
            if fault in ("5xx", "503"):
                status = 503 if fault == "503" or plan.down else 500
                response = errors(status, "SERVICE_UNAVAILABLE" if status == 503 else "INTERNAL_ERROR", "Sandbox fault")
                if status == 503:
                    response["Retry-After"] = str(plan.retry_after_s)
                return _log(call, response, fault=fault)
            if fault == "429":
                response = errors(429, "TOO_MANY_REQUESTS", "Too many requests.")
                response["Retry-After"] = str(plan.retry_after_s)
                return _log(call, response, fault=fault)
            if fault == "drop":
                _log(call, None, fault=fault)
                return _dropped(request)
            response = _run(view, call, errors, kwargs)
            _log(call, response, fault=fault)
            if fault == "timeout":
                time.sleep(plan.timeout_s)
            if fault == "malformed":
                return HttpResponse(b"<html><body>502 upstream\x00", status=200, content_type="application/json")
            return response

        return wrapper

    return decorate


def _run(
    view: Callable[..., HttpResponse], call: SandboxCall, errors: ErrorFactory, kwargs: dict[str, Any]
) -> HttpResponse:
    try:
        with transaction.atomic():
            response = view(call, **kwargs)
            if response.status_code >= 400:
                # Refusals change nothing: roll back whatever the view touched, keep the answer.
                call.effects.clear()
                transaction.set_rollback(True)
            return response
    except SandboxError as exc:
        call.effects.clear()
        return errors(exc.status, exc.code, exc.message)


def _log(call: SandboxCall, response: HttpResponse | None, *, fault: str) -> HttpResponse:
    request = call.request
    secrets = all_secret_values()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("cookie",)}
    body = ""
    try:
        body = redact_body(request.body, secrets, limit=16_000)
    except Exception:
        body = "<unreadable>"
    SandboxRequest.objects.create(
        kind=call.kind,
        method=request.method or "",
        path=redact_url(request.get_full_path(), secrets)[:500],
        headers=redact_headers(headers, secrets, extra_names=("salt", "idempotency")),
        body=body,
        status_code=response.status_code if response is not None else None,
        response_body=redact_body(response.content, secrets, limit=16_000) if response is not None else "",
        effect="; ".join(call.effects),
        idempotency_key=call.idempotency_key[:200],
        fault=fault,
    )
    return response if response is not None else HttpResponse(status=599)


def _dropped(request: HttpRequest) -> HttpResponseBase:
    """Close the client's connection without an answer (as a crashed provider or a cut network would)."""
    sock = _client_socket(request)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        # The server will fail to write this; the client has already seen the connection go.
        return StreamingHttpResponse(iter(()), status=200)
    # No socket reachable under this server: break the answer mid-stream instead.
    return _broken_stream()


def _broken_stream() -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        yield b'{"partial":'
        raise ConnectionAbortedError("sandbox dropped the connection")

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Length"] = "1000"
    return response


def _client_socket(request: HttpRequest) -> socket.socket | None:
    environ = request.META
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return sock
    stream: Any = environ.get("wsgi.input")
    for attr in ("stream", "raw", "_sock"):
        stream = getattr(stream, attr, None)
        if stream is None:
            return None
        if isinstance(stream, socket.socket):
            return stream
    return None


def json_response(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"separators": (",", ":")})
