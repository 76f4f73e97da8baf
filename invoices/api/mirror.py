"""What the five provider-compatible mirrors share: provider-style authentication, idempotent replays, provider
envelopes for every error, and a short budget to deliver the recorded change before answering.

A mirror view parses the provider's own request with the provider's mirror module (providers/<kind>/mirror.py),
records the change through the services (door "api", actor the client) and then tries the queued delivery for up
to MIRROR_DELIVERY_BUDGET_SECONDS: the caller gets the provider's answer when it comes in time, or an
accepted-and-queued answer (202, in the provider's envelope, with the delivery id) when it does not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from providers.base import ProviderError, Result
from providers.jsonnumbers import dumps_compact

from .. import relay
from ..models import ApiClient, Delivery, DeliveryState, Invoice
from . import idempotency
from .authentication import AuthFailed

logger = logging.getLogger("invoices.api")


class MirrorError(Exception):
    """An answer in the provider's error envelope: HTTP status, the provider's error code, a message."""

    def __init__(self, status: int, code: str, message: str, *, details: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)


@dataclass(frozen=True)
class Delivered:
    """How the deliveries of a mirror call went within the budget."""

    delivery_ids: tuple[int, ...]
    result: Result | None = None  # the provider's answer to the last delivery, when all went through in time
    error: ProviderError | None = None  # the provider's refusal, when it refused within the budget

    @property
    def queued(self) -> bool:
        return self.result is None and self.error is None and bool(self.delivery_ids)

    @property
    def last_delivery_id(self) -> int | None:
        return self.delivery_ids[-1] if self.delivery_ids else None


def deliver_within_budget(deliveries: Iterable[Delivery]) -> Delivered:
    """Try the call's deliveries in order, after the change committed; stop at the first that is not through."""
    ids = tuple(d.pk for d in deliveries)
    result: Result | None = None
    for delivery_id in ids:
        outcome = relay.deliver_now(delivery_id, worker="api", budget_seconds=settings.MIRROR_DELIVERY_BUDGET_SECONDS)
        if outcome is None or outcome.state == DeliveryState.PENDING:
            return Delivered(ids)
        if outcome.state != DeliveryState.SUCCEEDED:
            return Delivered(ids, error=outcome.error)
        result = outcome.result
    return Delivered(ids, result=result)


@contextmanager
def recording(invoice_id: int) -> Iterator[list[Delivery]]:
    """One transaction for the service calls of a request, holding the invoice's row, and the deliveries those
    calls queued (filled in when the block ends). The lock keeps another change's deliveries out of the list."""
    queued: list[Delivery] = []
    with transaction.atomic():
        list(Invoice.objects.select_for_update().filter(pk=invoice_id).values_list("pk"))
        last = Delivery.objects.filter(invoice_id=invoice_id).aggregate(last=Max("pk"))["last"] or 0
        yield queued
        queued.extend(Delivery.objects.filter(invoice_id=invoice_id, pk__gt=last).order_by("pk"))


class AnyAccept(BaseContentNegotiation):
    """Answers are always the provider's JSON envelope, whatever the Accept header says (clients written against
    the providers send text/plain and the like)."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """JSON with amounts written exactly (Decimal as a JSON number, never through float)."""
    response = HttpResponse(dumps_compact(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class MirrorView(APIView):
    """Base of the mirror endpoints: subclasses set `kind`, implement `authenticate_client` and `error_response`,
    and write their method handlers as `def put(self, request, **kwargs)` ending in `self.serve(request, work)`."""

    kind: ClassVar[str]
    authentication_classes = []  # provider-style auth inside serve()
    permission_classes = []
    throttle_classes = []

    # -- provider hooks -------------------------------------------------------------------------------------------
    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        raise AuthFailed("No authentication for this endpoint.")

    def error_response(self, error: MirrorError) -> HttpResponse:
        return json_response({"error": {"code": error.code, "message": error.message}}, error.status)

    def idempotency_key(self, request: HttpRequest, body: bytes) -> str | None:
        return request.headers.get("Idempotency-Key") or None

    # -- the flow -------------------------------------------------------------------------------------------------
    def serve(self, request: Request, work: Callable[[ApiClient, bytes], HttpResponse]) -> HttpResponse:
        django_request: HttpRequest = request._request
        try:
            body = django_request.body
        except RequestDataTooBig:
            return self.error_response(MirrorError(413, "PAYLOAD_TOO_LARGE", "The request body is too large."))
        try:
            client = self.authenticate_client(django_request, body)
        except AuthFailed as exc:
            return self.error_response(MirrorError(401, "UNAUTHENTICATED", str(exc)))
        key = self.idempotency_key(django_request, body)
        scope = self.kind
        if key:
            fingerprint = idempotency.fingerprint(django_request.method or "", django_request.path, body)
            try:
                stored = idempotency.reserve(client=client, scope=scope, key=key, fingerprint=fingerprint)
            except idempotency.IdempotencyConflict as exc:
                return self.error_response(MirrorError(409, "IDEMPOTENCY_CONFLICT", exc.reason))
            if stored is not None:
                replay = HttpResponse(stored.body, status=stored.status, content_type="application/json")
                for name, value in stored.headers.items():
                    replay[name] = value
                replay["Idempotent-Replayed"] = "true"
                return replay
        try:
            response = work(client, body)
        except MirrorError as exc:
            response = self.error_response(exc)
        except Exception:
            if key:
                idempotency.release(client=client, scope=scope, key=key)
            raise
        if key:
            if response.status_code >= 500:
                idempotency.release(client=client, scope=scope, key=key)
            else:
                kept = {k: v for k, v in response.items() if k.lower().startswith("x-backoffice-")}
                answer = idempotency.StoredAnswer(response.status_code, response.content.decode(), kept)
                idempotency.complete(client=client, scope=scope, key=key, answer=answer)
        return response

    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        # DRF's own refusals (unsupported method, unparsable media type) still answer in the provider's envelope.
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            return self.error_response(MirrorError(405, "METHOD_NOT_ALLOWED", str(exc.detail)))
        if isinstance(exc, drf_exceptions.APIException):
            return self.error_response(MirrorError(exc.status_code, "INVALID_REQUEST", str(exc.detail)))
        return super().handle_exception(exc)


def parse_json(body: bytes) -> Any:
    """The request body as JSON, numbers as Decimal; a clear 400 otherwise."""
    from decimal import Decimal

    if not body.strip():
        raise MirrorError(400, "INVALID_BODY", "A JSON body is required.")
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise MirrorError(400, "INVALID_BODY", "The body is not UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise MirrorError(400, "INVALID_JSON", f"The body is not valid JSON: {exc.msg} (position {exc.pos}).") from None
    except ValueError as exc:
        raise MirrorError(400, "INVALID_JSON", f"The body is not valid JSON: {exc}.") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def delivery_headers(delivered: Delivered) -> dict[str, str]:
    if delivered.last_delivery_id is None:
        return {}
    return {"X-Backoffice-Delivery": str(delivered.last_delivery_id)}
