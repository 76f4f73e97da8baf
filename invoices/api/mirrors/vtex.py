"""The VTEX mirror: VTEX's invoice notification and tracking update, answered as VTEX answers them.

- `POST /api/vtex/oms/pvt/orders/{orderId}/invoice` records the invoice of an order (creating it when the
  back-office does not know the order's invoice yet), opens it, and so queues its notification to VTEX.
- `PATCH /api/vtex/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}` records the courier and tracking details
  of an invoice VTEX holds, which queues them to VTEX.

The same paths with VTEX's own `/api` prefix (`/api/vtex/api/oms/pvt/…`) answer too, so that a VTEX client
given the base URL `http://host/api/vtex` keeps its paths unchanged. The request's checks and VTEX's envelopes
are in providers/vtex/mirror.py.

Idempotency is VTEX's own: an order's invoiceNumber is invoiced once. Sending the same notification again
returns the first answer and changes nothing; sending that invoiceNumber with another body is answered as VTEX
answers it (the invoice stays as first sent, VTEX issues a new receipt). Only accepted notifications are kept
for replays: VTEX holds nothing of a refused one, which may then be sent again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from invoices.actors import Actor
from invoices.deliveries import DeliveryError, delivery_retry, invoice_push
from invoices.lifecycle import IllegalTransition, InvoiceStatus, check_transition
from invoices.models import (
    OPEN_DELIVERY_STATES,
    STOPPED_DELIVERY_STATES,
    ApiClient,
    ApiClientRole,
    Delivery,
    DeliveryOperation,
    Door,
    Invoice,
)
from invoices.services import StaleVersion, invoice_create, invoice_transition, invoice_update
from providers.base import ProviderRuleError, RejectedError
from providers.models import ProviderAccount
from providers.vtex import mirror as vtex

from ..authentication import accounts_for, client_by_app_key
from ..mirror import MirrorError, MirrorView, deliver_within_budget, delivery_headers, json_response, parse_json

KIND = "vtex"
APP_KEY, APP_TOKEN = "X-VTEX-API-AppKey", "X-VTEX-API-AppToken"
NUMBER_LENGTH = 64  # Invoice.number


# -- authentication, as the schema shows it ------------------------------------------------------------------
class VtexAppKeyAuthentication(BaseAuthentication):
    """Names VTEX's key pair in the API schema; the check itself runs in MirrorView.serve()."""

    def authenticate(self, request: Request) -> None:
        return None


class VtexAppKeyScheme(OpenApiAuthenticationExtension):
    target_class = VtexAppKeyAuthentication
    name = ["vtexAppKey", "vtexAppToken"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {"type": "apiKey", "in": "header", "name": APP_KEY, "description": "The app key issued to the client."},
            {"type": "apiKey", "in": "header", "name": APP_TOKEN, "description": "Its app token."},
        ]


# -- the views -----------------------------------------------------------------------------------------------
class NotKept(Exception):
    """An answer given without keeping it for replays: raised through MirrorView.serve(), which then releases the
    request's idempotency key, and answered by handle_exception()."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


class VtexMirrorView(MirrorView):
    kind = KIND
    authentication_classes = [VtexAppKeyAuthentication]

    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        client = client_by_app_key(request.headers.get(APP_KEY), request.headers.get(APP_TOKEN))
        # VTEX's 403: a valid key whose role lacks the "Notify invoice" resource.
        if client.role != ApiClientRole.OPERATOR:
            raise MirrorError(403, "FORBIDDEN", "Forbidden: this application key is read-only (role viewer).")
        if not accounts_for(client, KIND):
            raise MirrorError(403, "FORBIDDEN", "Forbidden: this application key may not act on any VTEX account.")
        return client

    def error_response(self, error: MirrorError) -> HttpResponse:
        return json_response(vtex.error_body(error.message, error.code), error.status)

    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        if isinstance(exc, NotKept):
            return exc.response
        if isinstance(exc, MirrorError):  # refused before serve() could answer it (403)
            return self.error_response(exc)
        return super().handle_exception(exc)


def _json(request: HttpRequest, body: bytes) -> Any:
    if body.strip() and request.content_type != "application/json":
        raise MirrorError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json.")
    return parse_json(body)


@contextmanager
def _refusals() -> Iterator[None]:
    """Our refusals (nothing recorded) in VTEX's terms: VTEX answers 400 to a request its rules refuse."""
    try:
        yield
    except vtex.RequestRefused as exc:
        raise MirrorError(exc.status, vtex.ERROR_CODE, exc.message) from None
    except (IllegalTransition, ProviderRuleError) as exc:
        raise MirrorError(400, vtex.ERROR_CODE, str(exc)) from None
    except ValidationError as exc:
        raise MirrorError(400, vtex.ERROR_CODE, " ".join(exc.messages)) from None
    except (StaleVersion, IntegrityError, DeliveryError):
        raise MirrorError(
            409, vtex.ERROR_CODE, "The invoice was changed by another request at the same time: send it again."
        ) from None


def _find(accounts: Sequence[ProviderAccount], order_id: str, invoice_number: str) -> Invoice | None:
    """Our invoice for this order and VTEX invoice number (the number VTEX knows: remote_number, else ours)."""
    return (
        Invoice.objects.filter(account__in=accounts, orders__order_id=order_id)
        .filter(Q(remote_number=invoice_number) | Q(remote_number="", number=invoice_number))
        .select_related("account")
        .order_by("account_id", "pk")
        .first()
    )


def _account_for(accounts: Sequence[ProviderAccount], order_id: str) -> ProviderAccount:
    """The account holding the order's other invoices, else the client's first VTEX account."""
    known = (
        Invoice.objects.filter(account__in=accounts, orders__order_id=order_id)
        .order_by("pk")
        .values_list("account_id", flat=True)
        .first()
    )
    return next((account for account in accounts if account.pk == known), accounts[0])


def _our_number(order_id: str, invoice_number: str) -> str:
    """Our number is VTEX's invoiceNumber where free; otherwise it is made unique with the order id's digest."""
    if len(invoice_number) <= NUMBER_LENGTH and not Invoice.objects.filter(number=invoice_number).exists():
        return invoice_number
    digest = hashlib.sha256(f"{order_id}\n{invoice_number}".encode()).hexdigest()[:10]
    return f"{invoice_number[: NUMBER_LENGTH - 11]}-{digest}"


def _since(invoice: Invoice) -> int:
    return Delivery.objects.filter(invoice=invoice).aggregate(last=Max("pk"))["last"] or 0


def _record_notification(
    *,
    accounts: Sequence[ProviderAccount],
    order_id: str,
    notification: vtex.Notification,
    draft: Invoice | None,
    actor: Actor,
) -> list[Delivery]:
    """Create (or fill in our draft of) the invoice, open it, then add its tracking: one transaction."""
    reason = f"VTEX invoice notification {notification.invoice_number}"
    account = draft.account if draft else _account_for(accounts, order_id)
    setup = account.effective_settings()
    currency = draft.currency if draft else str(setup.get("currency") or vtex.DEFAULT_CURRENCY)
    intent = vtex.invoice_intent(notification, currency=currency, timezone=str(setup.get("timezone") or "UTC"))
    fields: dict[str, Any] = {
        "invoice_type": intent.invoice_type,
        "remote_number": intent.remote_number,
        "discount": intent.discount,
        "issue_date": intent.issue_date,
    }
    with transaction.atomic():
        if draft is None:
            invoice = invoice_create(
                account=account,
                number=_our_number(order_id, notification.invoice_number),
                customer_name=f"VTEX order {order_id}",
                currency=currency,
                lines=intent.lines,
                orders=[{"order_id": order_id}],
                provider_fields=intent.provider_fields,
                actor=actor,
                door=Door.API,
                reason=reason,
                **fields,
            )
        else:
            invoice = draft
            invoice_update(
                invoice_id=draft.pk,
                actor=actor,
                door=Door.API,
                lines=intent.lines,
                provider_fields={**draft.provider_fields, **intent.provider_fields},
                **fields,
            )
        since = _since(invoice)
        invoice_transition(
            invoice_id=invoice.pk, to_status=InvoiceStatus.OPEN, actor=actor, door=Door.API, reason=reason
        )
        if intent.tracking:  # VTEX takes tracking in a second call, once it holds the invoice
            invoice_update(invoice_id=invoice.pk, actor=actor, door=Door.API, **intent.tracking)
        return list(Delivery.objects.filter(invoice=invoice, pk__gt=since).order_by("pk"))


def _resend(invoice: Invoice, operation: str, actor: Actor) -> Delivery:
    """Send again what VTEX already holds (VTEX answers with a new receipt, and nothing else changes): the
    delivery still under way if there is one, the stopped one retried, else a new push of the invoice as it is."""
    latest = invoice.deliveries.filter(operation=operation).order_by("-pk").first()
    if latest is not None and latest.state in OPEN_DELIVERY_STATES:
        return latest
    if latest is not None and latest.state in STOPPED_DELIVERY_STATES:
        return delivery_retry(delivery_id=latest.pk, actor=actor)
    return invoice_push(invoice_id=invoice.pk, actor=actor, operation=operation)


def _answer(order_id: str, deliveries: Sequence[Delivery]) -> HttpResponse:
    """VTEX's answer when it came within the budget (its receipt, or its refusal); otherwise accepted and queued."""
    delivered = deliver_within_budget(deliveries)
    headers = delivery_headers(delivered)
    last = deliveries[-1]
    now = timezone.now().isoformat()
    if delivered.result is not None:
        receipt = vtex.receipt_body(delivered.result.data, order_id)
        body = receipt or {"date": now, "orderId": order_id, "receipt": last.idempotency_key}
        return json_response(body, 200, headers)
    error = delivered.error
    if isinstance(error, RejectedError):
        status = error.status_code if error.status_code and 400 <= error.status_code < 500 else 400
        return json_response(vtex.error_body(error.message, error.provider_code), status, headers)
    # Queued, or stopped on the back-office's side (the account's setup): the change is ours to deliver now.
    accepted = vtex.accepted_body(date=now, order_id=order_id, receipt=last.idempotency_key, delivery_id=last.pk)
    return json_response(accepted, 202, headers)


# -- API schema ----------------------------------------------------------------------------------------------
ERROR = inline_serializer(
    "VtexError",
    {
        "error": inline_serializer(
            "VtexErrorDetail",
            {
                "code": serializers.CharField(help_text='VTEX answers its refusals with the code "1".'),
                "message": serializers.CharField(),
                "exception": serializers.CharField(allow_null=True),
            },
        )
    },
)
ACCEPTED = inline_serializer(
    "VtexAccepted",
    {
        "date": serializers.CharField(),
        "orderId": serializers.CharField(),
        "receipt": serializers.CharField(help_text="The idempotency key of the queued delivery."),
        "deliveryId": serializers.IntegerField(help_text="The back-office delivery carrying it to VTEX."),
    },
)
ORDER_ID = OpenApiParameter(
    "orderId",
    str,
    OpenApiParameter.PATH,
    description="The VTEX order.",
    examples=[OpenApiExample("SeedOrder", value=vtex.SEED_ORDER_ID)],
)
INVOICE_NUMBER = OpenApiParameter(
    "invoiceNumber",
    str,
    OpenApiParameter.PATH,
    description="The invoice's number at VTEX.",
    examples=[OpenApiExample("SeedInvoice", value=vtex.SEED_INVOICE_NUMBER)],
)


def _error(name: str, message: str, status: int) -> OpenApiExample:
    return OpenApiExample(
        name, summary=message, value=vtex.error_body(message), response_only=True, status_codes=[str(status)]
    )


def _responses(template: str, method: str, *, not_found: str) -> dict[int, Any]:
    refusals = {
        400: "Invalid request, or refused by VTEX's rules (VTEX's own refusal when it answered in time).",
        401: f"Missing or invalid {APP_KEY} / {APP_TOKEN}.",
        403: "The key is read-only or may not act on any VTEX account.",
        409: "The same request is still being processed, or the invoice was changed at the same time.",
        413: "The body is too large.",
        415: "The body is not application/json.",
    }
    refusals[404] = not_found
    return {
        200: OpenApiResponse(vtex.documented_schema(template, method, 200), description="VTEX's receipt."),
        202: OpenApiResponse(ACCEPTED, description="Recorded and queued: VTEX did not answer within the budget."),
        **{status: OpenApiResponse(ERROR, description=text) for status, text in sorted(refusals.items())},
    }


RECEIPT_EXAMPLES = [
    OpenApiExample(
        "Receipt",
        summary="VTEX's receipt (its documented example)",
        value=vtex.DOCUMENTED_RECEIPT,
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Accepted",
        summary="Accepted and queued",
        value=vtex.accepted_body(
            date="2024-02-07T17:22:56.761221+00:00",
            order_id=vtex.SEED_ORDER_ID,
            receipt="5f0c3b0f8f1e4a7e9b2d6c4a1e3f5b7d",
            delivery_id=42,
        ),
        response_only=True,
        status_codes=["202"],
    ),
    _error("Unauthenticated", "Invalid app key or app token.", 401),
    _error("Forbidden", "Forbidden: this application key is read-only (role viewer).", 403),
    _error("InProgress", "A request with this idempotency key is still being processed.", 409),
    _error("TooLarge", "The request body is too large.", 413),
]


# -- endpoints -----------------------------------------------------------------------------------------------
class InvoiceNotificationView(VtexMirrorView):
    http_method_names = ["post"]  # any other method is 405 in VTEX's envelope

    def idempotency_key(self, request: HttpRequest, body: bytes) -> str | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        key = vtex.notification_key(self.kwargs["orderId"], data)
        # The body's digest tells a replay (the first answer again) from the number re-sent with another body
        # (VTEX keeps the invoice as first sent and only issues a new receipt).
        return f"{key}:{hashlib.sha256(body).hexdigest()[:16]}" if key else None

    @extend_schema(
        operation_id="vtex_invoice_notification",
        summary="Order invoice notification (VTEX)",
        description=(
            "VTEX's `POST /api/oms/pvt/orders/{orderId}/invoice`: records the invoice (creating it when the "
            "order's invoice is new to the back-office), opens it and delivers it to VTEX. Amounts in cents; "
            "the invoice's currency is the account's `currency` setting (BRL by default). Sending an "
            "invoiceNumber again changes nothing. Also served under `/api/vtex/api/oms/pvt/…`."
        ),
        tags=["VTEX mirror"],
        parameters=[ORDER_ID],
        request={"application/json": vtex.documented_schema(vtex.INVOICE, "post")},
        responses=_responses(vtex.INVOICE, "post", not_found="VTEX does not know the order (its own answer)."),
        examples=[
            OpenApiExample(
                "SeedInvoiceNotification",
                summary="The seed's invoice notification",
                value=vtex.SEED_INVOICE_NOTIFICATION,
                request_only=True,
            ),
            OpenApiExample(
                "ReturnInvoice", summary="A return (Input) invoice", value=vtex.RETURN_EXAMPLE, request_only=True
            ),
            _error("MissingField", "Required field(s) missing: invoiceValue.", 400),
            *RECEIPT_EXAMPLES,
        ],
    )
    def post(self, request: Request, **kwargs: str) -> HttpResponse:
        order_id = kwargs["orderId"]

        def work(client: ApiClient, body: bytes) -> HttpResponse:
            try:
                response = self.notify(client, order_id, _json(request._request, body))
            except MirrorError as exc:
                response = self.error_response(exc)
            if response.status_code >= 300:
                raise NotKept(response)
            return response

        return self.serve(request, work)

    def notify(self, client: ApiClient, order_id: str, data: Any) -> HttpResponse:
        actor = Actor.for_client(client)
        accounts = accounts_for(client, KIND)
        with _refusals():
            notification = vtex.parse_notification(data)
            found = _find(accounts, order_id, notification.invoice_number)
            if found is not None and found.status == InvoiceStatus.OPEN:
                deliveries = [_resend(found, DeliveryOperation.PUSH, actor)]
            elif found is None or found.status == InvoiceStatus.DRAFT:
                deliveries = _record_notification(
                    accounts=accounts, order_id=order_id, notification=notification, draft=found, actor=actor
                )
            else:  # void, or a status VTEX never invoices: refused as the lifecycle refuses it
                check_transition(found.status, InvoiceStatus.OPEN)
                raise IllegalTransition(found.status, InvoiceStatus.OPEN)
        return _answer(order_id, deliveries)


class InvoiceTrackingView(VtexMirrorView):
    http_method_names = ["patch"]

    @extend_schema(
        operation_id="vtex_invoice_tracking",
        summary="Update order's partial invoice: send tracking number (VTEX)",
        description=(
            "VTEX's `PATCH /api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}`: records the courier and "
            "tracking details of an invoice VTEX holds and delivers them to VTEX. An optional `Idempotency-Key` "
            "header makes a retry return the first answer. Also served under `/api/vtex/api/oms/pvt/…`."
        ),
        tags=["VTEX mirror"],
        parameters=[
            ORDER_ID,
            INVOICE_NUMBER,
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False),
        ],
        request={"application/json": vtex.documented_schema(vtex.INVOICE_NUMBER, "patch")},
        responses=_responses(
            vtex.INVOICE_NUMBER, "patch", not_found="No such invoice of this order, or VTEX does not hold it yet."
        ),
        examples=[
            OpenApiExample(
                "SeedTrackingUpdate",
                summary="The seed's tracking update",
                value=vtex.SEED_TRACKING_UPDATE,
                request_only=True,
            ),
            _error("MissingField", "Required field(s) missing: courier.", 400),
            _error(
                "UnknownInvoice", f"Invoice {vtex.SEED_INVOICE_NUMBER} not found in order {vtex.SEED_ORDER_ID}.", 404
            ),
            *RECEIPT_EXAMPLES,
        ],
    )
    def patch(self, request: Request, **kwargs: str) -> HttpResponse:
        order_id, number = kwargs["orderId"], kwargs["invoiceNumber"]
        return self.serve(
            request, lambda client, body: self.track(client, order_id, number, _json(request._request, body))
        )

    def track(self, client: ApiClient, order_id: str, invoice_number: str, data: Any) -> HttpResponse:
        actor = Actor.for_client(client)
        with _refusals():
            tracking = vtex.parse_tracking(data)
        invoice = _find(accounts_for(client, KIND), order_id, invoice_number)
        if invoice is None:
            raise MirrorError(404, vtex.ERROR_CODE, f"Invoice {invoice_number} not found in order {order_id}.")
        if invoice.status != InvoiceStatus.OPEN:
            raise MirrorError(
                404,
                vtex.ERROR_CODE,
                f"Invoice {invoice_number} not found in order {order_id}: it was not sent to VTEX "
                f"(it is {InvoiceStatus(invoice.status).label} in the back-office).",
            )
        zone = str(invoice.account.effective_settings().get("timezone") or "UTC")
        with _refusals(), transaction.atomic():
            since = _since(invoice)
            invoice_update(invoice_id=invoice.pk, actor=actor, door=Door.API, **tracking.fields(timezone=zone))
            deliveries = list(Delivery.objects.filter(invoice=invoice, pk__gt=since).order_by("pk"))
        if not deliveries:  # nothing changed: VTEX is sent the same details again and answers a new receipt
            deliveries = [_resend(invoice, DeliveryOperation.TRACKING, actor)]
        return _answer(order_id, deliveries)


# VTEX's own paths with their /api prefix, for clients whose base URL is http://host/api/vtex (not in the schema).
@extend_schema_view(post=extend_schema(exclude=True))
class InvoiceNotificationAliasView(InvoiceNotificationView):
    pass


@extend_schema_view(patch=extend_schema(exclude=True))
class InvoiceTrackingAliasView(InvoiceTrackingView):
    pass


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return json_response(vtex.error_body(f"No VTEX resource at {request.path}."), 404)


_ORDER = "oms/pvt/orders/<str:orderId>/invoice"
urlpatterns: list[URLPattern] = [
    path(_ORDER, InvoiceNotificationView.as_view(), name="vtex-invoice-notification"),
    path(f"{_ORDER}/<str:invoiceNumber>", InvoiceTrackingView.as_view(), name="vtex-invoice-tracking"),
    path(f"api/{_ORDER}", InvoiceNotificationAliasView.as_view()),
    path(f"api/{_ORDER}/<str:invoiceNumber>", InvoiceTrackingAliasView.as_view()),
    re_path(r"^", not_found),
]
