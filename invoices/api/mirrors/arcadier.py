"""The Arcadier mirror: the API of the Arcadier wrapper (seed 000), served at /api/arcadier/.

- `POST|PUT invoice/{invoiceId}` with `{"token", "data": [Arcadier's payments array]}`: the payments are recorded
  on the invoice's orders, the invoice moves to the status its orders now say, and both go to Arcadier.
- `GET email/{invoiceId}`: Arcadier's own invoice email, sent after checkout.

The caller's token comes in the body (as the wrapper takes it), as `Authorization: Bearer`, or as `?token=` on
the email GET. Answers and errors are Arcadier's: its payments array, its `{"Message", "Code"}` error body.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.lifecycle import IllegalTransition, InvoiceStatus
from invoices.models import ApiClient, ApiClientRole, Delivery, DeliveryOperation, Door, Invoice
from invoices.selectors import invoice_data
from invoices.services import invoice_transition, invoice_update
from providers.arcadier import mirror as arcadier
from providers.arcadier.rules import SETTLED
from providers.base import ErrorKind, InvoiceData, ProviderError, ProviderRuleError
from providers.kinds import ProviderKind

from ..authentication import accounts_for, bearer_token, client_by_token
from ..mirror import (
    Delivered,
    MirrorError,
    MirrorView,
    deliver_within_budget,
    delivery_headers,
    json_response,
    parse_json,
    recording,
)

REASON = "Arcadier payments update"


# -- the schema's security schemes -------------------------------------------------------------------------------
class ProviderAuthSchema(AutoSchema):
    """Documents the provider-style auth the view checks itself (its DRF authentication list is empty)."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        schemes: dict[str, dict[str, Any]] = getattr(self.view, "security_schemes", {})
        for name, definition in schemes.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SECURITY_SCHEMA, object=name, schema=definition)
            )
        return [{name: []} for name in schemes]


BEARER = {
    "arcadierBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The API token the back-office issued (also accepted as `token` in the JSON body).",
    }
}
QUERY_TOKEN = {
    "arcadierQueryToken": {"type": "apiKey", "in": "query", "name": "token", "description": "The issued API token."}
}


# -- schema shapes ------------------------------------------------------------------------------------------------
def _id(name: str) -> serializers.Serializer:
    return inline_serializer(name, {"ID": serializers.UUIDField()}, required=False)


PAYMENT = inline_serializer(
    "ArcadierPayment",
    {
        "InvoiceNo": serializers.CharField(required=False),
        "Payee": _id("ArcadierPayee"),
        "Payer": _id("ArcadierPayer"),
        "Order": inline_serializer("ArcadierOrderRef", {"ID": serializers.UUIDField()}),
        "Status": serializers.CharField(help_text='"Success", "Waiting For Payment", "Failed", "Refunded", …'),
        "Total": serializers.DecimalField(max_digits=18, decimal_places=4, required=False),
        "Fee": serializers.DecimalField(max_digits=18, decimal_places=4, required=False),
        "Refunded": serializers.BooleanField(required=False),
        "RefundedRef": serializers.CharField(required=False),
        "Gateway": inline_serializer("ArcadierGatewayCode", {"Code": serializers.CharField()}, required=False),
        "GatewayTransactionID": serializers.CharField(required=False),
        "GatewayStatus": serializers.CharField(required=False),
        "DateTimePaid": serializers.IntegerField(required=False, help_text="Unix seconds; 0 when not paid."),
    },
    many=True,
)
UPDATE_REQUEST = inline_serializer(
    "ArcadierInvoiceUpdate",
    {"token": serializers.CharField(required=False), "data": PAYMENT},
)
PAYMENT_ANSWER = inline_serializer(
    "ArcadierPaymentAnswer",
    {
        "InvoiceNo": serializers.CharField(),
        "Payee": _id("ArcadierPayeeAnswer"),
        "Payer": _id("ArcadierPayerAnswer"),
        "Order": inline_serializer(
            "ArcadierOrderAnswer", {"ID": serializers.UUIDField(), "PaymentStatus": serializers.CharField()}
        ),
        "Total": serializers.DecimalField(max_digits=18, decimal_places=4),
        "Fee": serializers.DecimalField(max_digits=18, decimal_places=4),
        "Status": serializers.CharField(),
        "Refunded": serializers.BooleanField(),
        "CurrencyCode": serializers.CharField(),
        "DateTimePaid": serializers.IntegerField(),
        "DeliveryID": serializers.IntegerField(required=False, help_text="Only on 202: the queued delivery."),
    },
    many=True,
)
ERROR = inline_serializer("ArcadierError", {"Message": serializers.CharField(), "Code": serializers.CharField()})
EMAIL_ANSWER = inline_serializer(
    "ArcadierEmailAnswer",
    {"Result": serializers.BooleanField(), "DeliveryID": serializers.IntegerField(required=False)},
)

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
SEED_PAYMENT = {
    "InvoiceNo": "000000000000",
    "Payee": {"ID": ZERO_GUID},
    "Payer": {"ID": ZERO_GUID},
    "Order": {"ID": ZERO_GUID},
    "Status": "Waiting For Payment",
    "Gateway": {"Code": "string"},
    "DateTimePaid": 0,
}
SEED_REQUEST = {"token": "<your API token>", "data": [SEED_PAYMENT, SEED_PAYMENT]}
SEED_ANSWER = {
    **SEED_PAYMENT,
    "Order": {"ID": ZERO_GUID, "PaymentStatus": "Waiting for Payment"},
    "Total": 10,
    "Fee": 0,
    "Refunded": False,
    "RefundedRef": None,
    "CurrencyCode": "USD",
}
UPDATE_EXAMPLES = [
    OpenApiExample("Offline payment (the wrapper's example)", value=SEED_REQUEST, request_only=True),
    OpenApiExample("Payments updated", value=[SEED_ANSWER, SEED_ANSWER], response_only=True, status_codes=["200"]),
    OpenApiExample(
        "Accepted and queued",
        value=[{**SEED_ANSWER, "DeliveryID": 42}, {**SEED_ANSWER, "DeliveryID": 42}],
        response_only=True,
        status_codes=["202"],
    ),
    OpenApiExample(
        "Bad token",
        value=arcadier.error_body("UNAUTHORIZED", arcadier.DENIED),
        response_only=True,
        status_codes=["401"],
    ),
    OpenApiExample(
        "Unknown invoice",
        value=arcadier.error_body("INVOICE_NOT_FOUND", "No invoice 000000000000 was found."),
        response_only=True,
        status_codes=["404"],
    ),
    OpenApiExample(
        "Unknown order",
        value=arcadier.error_body("ORDER_NOT_IN_INVOICE", f"Payment 1: order {ZERO_GUID} is not part of this invoice."),
        response_only=True,
        status_codes=["400"],
    ),
]
UPDATE_RESPONSES = {
    200: PAYMENT_ANSWER,
    202: PAYMENT_ANSWER,
    400: ERROR,
    401: ERROR,
    403: ERROR,
    404: ERROR,
    409: ERROR,
    413: ERROR,
}
INVOICE_ID = OpenApiParameter(
    "invoiceId",
    str,
    OpenApiParameter.PATH,
    description="The invoice number Arcadier gave at checkout (InvoiceNo), or the back-office's own number.",
)
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A replay with the same key returns the first answer and changes nothing.",
)


# -- the views ----------------------------------------------------------------------------------------------------
class ArcadierView(MirrorView):
    kind = ProviderKind.ARCADIER
    schema = ProviderAuthSchema()
    security_schemes: ClassVar[dict[str, dict[str, Any]]] = BEARER

    def error_response(self, error: MirrorError) -> HttpResponse:
        if error.status == 401:
            # ASP.NET's fixed wording: the reason (missing or wrong token) is not told to an unknown caller.
            return json_response(arcadier.error_body("UNAUTHORIZED", arcadier.DENIED), 401)
        return json_response(arcadier.error_body(error.code, error.message), error.status)


class InvoicePaymentsView(ArcadierView):
    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        # The wrapper takes the token in the body; an Arcadier client sends it as a bearer header.
        return client_by_token(bearer_token(request.headers.get("Authorization")) or arcadier.body_token(body))

    @extend_schema(
        operation_id="arcadier_invoice_update",
        summary="Update the payments of an invoice (Arcadier wrapper)",
        description=(
            "Arcadier's own payments array, one object per order of the invoice, in `data`. The invoice is found "
            "by its Arcadier number or our number. The answer is Arcadier's (200), or 202 with the delivery id "
            "when Arcadier did not answer within the budget."
        ),
        request=UPDATE_REQUEST,
        responses=UPDATE_RESPONSES,
        parameters=[INVOICE_ID, IDEMPOTENCY],
        examples=UPDATE_EXAMPLES,
        tags=["arcadier"],
    )
    def put(self, request: Request, **kwargs: str) -> HttpResponse:
        return self.serve(request, partial(update_payments, invoice_ref=kwargs["invoiceId"]))

    @extend_schema(
        operation_id="arcadier_invoice_update_post",
        summary="Update the payments of an invoice (Arcadier wrapper, POST)",
        description="The same as PUT: the wrapper takes both.",
        request=UPDATE_REQUEST,
        responses=UPDATE_RESPONSES,
        parameters=[INVOICE_ID, IDEMPOTENCY],
        examples=UPDATE_EXAMPLES,
        tags=["arcadier"],
    )
    def post(self, request: Request, **kwargs: str) -> HttpResponse:
        return self.serve(request, partial(update_payments, invoice_ref=kwargs["invoiceId"]))


class InvoiceEmailView(ArcadierView):
    security_schemes = {**BEARER, **QUERY_TOKEN}

    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        return client_by_token(bearer_token(request.headers.get("Authorization")) or request.GET.get("token"))

    @extend_schema(
        operation_id="arcadier_invoice_email",
        summary="Send Arcadier's invoice email (Arcadier wrapper)",
        description="Asks Arcadier to send its own invoice email to the consumer after checkout.",
        request=None,
        responses={200: EMAIL_ANSWER, 202: EMAIL_ANSWER, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        parameters=[INVOICE_ID, IDEMPOTENCY],
        examples=[
            OpenApiExample("Email sent", value=arcadier.email_sent(), response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Accepted and queued", value=arcadier.email_queued(42), response_only=True, status_codes=["202"]
            ),
        ],
        tags=["arcadier"],
    )
    def get(self, request: Request, **kwargs: str) -> HttpResponse:
        return self.serve(request, partial(send_email, invoice_ref=kwargs["invoiceId"]))


# -- the work -----------------------------------------------------------------------------------------------------
def update_payments(client: ApiClient, body: bytes, *, invoice_ref: str) -> HttpResponse:
    _require_operator(client)
    invoice = _find_invoice(client, invoice_ref)  # Arcadier answers an unknown invoice before reading the body
    document = parse_json(body)
    recorded = _record_payments(client, invoice.pk, document)
    delivered = deliver_within_budget(recorded.deliveries)
    headers = delivery_headers(delivered)
    if delivered.error is not None:
        return _provider_refusal(delivered, headers)
    if delivered.queued:
        answer = arcadier.payments_answer(recorded.payments, recorded.invoice)
        return json_response(arcadier.queued_answer(answer, delivered.last_delivery_id or 0), 202, headers)
    reported = delivered.result.data if delivered.result is not None else None
    return json_response(arcadier.payments_answer(recorded.payments, recorded.invoice, reported), 200, headers)


def send_email(client: ApiClient, body: bytes, *, invoice_ref: str) -> HttpResponse:
    _require_operator(client)
    invoice = _find_invoice(client, invoice_ref)
    delivery = invoice_push(invoice_id=invoice.pk, actor=Actor.for_client(client), operation=DeliveryOperation.EMAIL)
    delivered = deliver_within_budget([delivery])
    headers = delivery_headers(delivered)
    if delivered.error is not None:
        return _provider_refusal(delivered, headers)
    if delivered.queued:
        return json_response(arcadier.email_queued(delivery.pk), 202, headers)
    return json_response(arcadier.email_sent(), 200, headers)


@dataclass(frozen=True)
class RecordedPayments:
    payments: list[arcadier.Payment]
    invoice: InvoiceData  # as it stands once recorded
    deliveries: list[Delivery]


def _record_payments(client: ApiClient, invoice_pk: int, document: Any) -> RecordedPayments:
    """Record the payments and the status they lead to in one transaction, with their deliveries.

    A call that changes nothing here is still carried to Arcadier (the wrapper forwards every call): a push of
    the invoice as it stands is queued, so the caller gets Arcadier's own answer."""
    actor = Actor.for_client(client)
    try:
        with recording(invoice_pk) as deliveries:
            before = invoice_data(Invoice.objects.get(pk=invoice_pk))
            numbers = tuple(dict.fromkeys(n for n in (before.remote_number, before.number) if n))
            payments = arcadier.read_payments(document, before.orders, numbers)
            orders = arcadier.apply_payments(payments, before.orders)
            target = arcadier.target_status(orders)
            current = [arcadier.order_fields(order) for order in before.orders]
            # Arcadier keeps the orders of settled payments: there only the status still moves (a refund),
            # while a change to the orders themselves is refused by the provider's rules in the service.
            status_only = arcadier.without_status(orders) == arcadier.without_status(current)
            if orders != current and not (before.status in SETTLED and status_only):
                invoice_update(invoice_id=invoice_pk, actor=actor, door=Door.API, orders=orders)
            for step in _steps(before.status, target):
                invoice_transition(invoice_id=invoice_pk, to_status=step, actor=actor, door=Door.API, reason=REASON)
        if not deliveries:
            # Nothing changed here: the invoice as it stands still goes to Arcadier, whose answer the caller gets.
            deliveries.append(invoice_push(invoice_id=invoice_pk, actor=actor))
        after = invoice_data(Invoice.objects.get(pk=invoice_pk))
    except arcadier.Refusal as exc:
        raise MirrorError(exc.status, exc.code, exc.message) from None
    except IllegalTransition as exc:
        raise MirrorError(400, "INVALID_STATUS_CHANGE", str(exc)) from None
    except ProviderRuleError as exc:
        raise MirrorError(400, "NOT_ALLOWED", str(exc)) from None
    except ValidationError as exc:
        raise MirrorError(400, "INVALID_PAYMENT", " ".join(exc.messages)) from None
    return RecordedPayments(payments=payments, invoice=after, deliveries=deliveries)


def _steps(current: str, target: str) -> list[str]:
    """The moves from the invoice's status to the one its orders say. An invoice paid at checkout may still be
    a draft here: it is sent (open) on the way, as Arcadier's checkout did."""
    if current == target:
        return []
    if current == InvoiceStatus.DRAFT and target == InvoiceStatus.PAID:
        return [InvoiceStatus.OPEN, InvoiceStatus.PAID]
    return [target]


def _require_operator(client: ApiClient) -> None:
    if client.role != ApiClientRole.OPERATOR:
        raise MirrorError(403, "FORBIDDEN", "This API client may only read: it cannot change invoices.")


def _find_invoice(client: ApiClient, ref: str) -> Invoice:
    """The invoice by Arcadier's number, else by ours, among the Arcadier accounts the client may act on."""
    mine = Invoice.objects.filter(account__in=accounts_for(client, ProviderKind.ARCADIER))
    by_remote = list(mine.filter(remote_number=ref)[:2])
    if len(by_remote) > 1:
        raise MirrorError(
            400, "AMBIGUOUS_INVOICE", f"Several invoices carry Arcadier number {ref}: use the back-office's number."
        )
    found = by_remote[0] if by_remote else mine.filter(number=ref).first()
    if found is None:
        raise MirrorError(404, "INVOICE_NOT_FOUND", f"No invoice {ref} was found.")
    return found


def _provider_refusal(delivered: Delivered, headers: dict[str, str]) -> HttpResponse:
    """Arcadier's refusal, with its status and code. A refusal of the back-office's own setup (its Arcadier
    credentials) is not the caller's fault: it is answered 400 and staff retry the delivery once fixed."""
    error: ProviderError | None = delivered.error
    assert error is not None
    status = error.status_code or 400
    if error.kind == ErrorKind.REJECTED and 400 <= status < 500:
        body = arcadier.error_body(error.provider_code or "REJECTED", error.message)
        return json_response(body, status, headers)
    message = f"The change was recorded but could not be delivered to Arcadier: {error.message}"
    return json_response(arcadier.error_body("DELIVERY_FAILED", message), 400, headers)


urlpatterns: list[URLPattern] = [
    path("invoice/<str:invoiceId>", InvoicePaymentsView.as_view(), name="arcadier-invoice"),
    path("email/<str:invoiceId>", InvoiceEmailView.as_view(), name="arcadier-email"),
]
