"""The generic invoicing API mirror: `PUT /api/generic/v1/Invoice/Update`, the API's full-replace UpdateInvoice.

A client of the API keeps its code and points its base URL at the back-office: the body is validated as the API
validates it, mapped back to the invoice with that id (lines, taxes, discount, due date, names, the integer
enums), recorded through the services with a status move when `status` names one, and answered in the API's
envelope {succeeded, message, errors, data}: the API's own answer when the delivery goes through within the
budget, otherwise 202 "Accepted and queued for delivery" with the delivery id.

Also served at /api/generic/api/v1/Invoice/Update, so that a client which appends the API's whole path to its
base URL (http://host/api/generic) works unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from providers.base import ProviderError, RejectedError
from providers.generic import mirror as generic
from providers.jsonnumbers import loads_decimal
from providers.kinds import ProviderKind

from ...actors import Actor
from ...lifecycle import IllegalTransition, allowed_targets, is_allowed
from ...models import ApiClient, ApiClientRole, Delivery, Door, Invoice
from ...selectors import invoice_data
from ...services import invoice_transition, invoice_update
from ..authentication import accounts_for, bearer_token, client_by_token
from ..mirror import (
    AnyAccept,
    Delivered,
    MirrorError,
    MirrorView,
    deliver_within_budget,
    delivery_headers,
    json_response,
    recording,
)

BEARER_SCHEME = "genericBearer"
API_KEY_SCHEME = "genericApiKey"
# The adapter's other auth style: an API key header (settings api_key_header, X-Api-Key by default).
API_KEY_HEADER = "X-Api-Key"


class TokenSchema(AutoSchema):
    """Documents the two ways to present an issued token, either one: a bearer token or the API-key header."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        schemes = {
            BEARER_SCHEME: {"type": "http", "scheme": "bearer"},
            API_KEY_SCHEME: {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
        }
        for name, scheme in schemes.items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name,
                    type=ResolvedComponent.SECURITY_SCHEMA,
                    object=name,
                    schema={**scheme, "description": "An API client's token, issued by the back-office."},
                )
            )
        return [{name: []} for name in schemes]


# -- schema (documentation only) ----------------------------------------------------------------------------------
class GenericProductSerializer(serializers.Serializer):
    productId = serializers.UUIDField()  # the API's own member names
    quantity = serializers.IntegerField(min_value=1)
    unitPrice = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=0, coerce_to_string=False)


class GenericTaxSerializer(serializers.Serializer):
    taxId = serializers.UUIDField()
    taxPercentageValue = serializers.DecimalField(max_digits=7, decimal_places=4, coerce_to_string=False)


class GenericDiscountSerializer(serializers.Serializer):
    discountType = serializers.IntegerField()
    discountValue = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=0, coerce_to_string=False)


class GenericUpdateInvoiceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    counterPartyId = serializers.UUIDField()
    receivingAccountId = serializers.UUIDField()
    counterPartyName = serializers.CharField(required=False, allow_null=True)
    accountName = serializers.CharField(required=False, allow_null=True)
    dueDate = serializers.DateTimeField(required=False, allow_null=True)
    currency = serializers.IntegerField(help_text="The API's currency number (the account's currency_codes).")
    products = GenericProductSerializer(many=True, required=False)
    taxes = GenericTaxSerializer(many=True, required=False)
    discount = GenericDiscountSerializer(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    billingCycle = serializers.IntegerField(required=False)
    recuringInvoice = serializers.BooleanField(required=False)
    paymentMethods = serializers.ListField(child=serializers.IntegerField(), required=False)
    notification = serializers.ListField(child=serializers.IntegerField(), required=False)
    beforeDueDates = serializers.ListField(child=serializers.IntegerField(), required=False)
    afterDueDates = serializers.ListField(child=serializers.IntegerField(), required=False)
    onDueDate = serializers.BooleanField(required=False)
    status = serializers.CharField(
        required=False, help_text="Optional status word (Draft, Pending, Paid, Uncollectible, Void, Refunded)."
    )


class GenericResultDataSerializer(serializers.Serializer):
    invoiceId = serializers.UUIDField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=False)
    status = serializers.CharField(required=False)
    deliveryId = serializers.IntegerField(required=False, help_text="202 only: the queued delivery.")


# `errors` and `data` would shadow Serializer attributes as class fields: declared inline instead.
RESULT_SCHEMA = inline_serializer(
    "GenericResult",
    {
        "succeeded": serializers.BooleanField(),
        "message": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.CharField()),
        "data": GenericResultDataSerializer(allow_null=True),
    },
)


UPDATE_SCHEMA = extend_schema(
    operation_id="generic_update_invoice",
    summary="Update Invoice (generic invoicing API)",
    description="The generic API's UpdateInvoice: replaces the whole invoice (products, taxes, discount, due date, "
    "names and the integer enums), and moves its status when the optional `status` word says so. The change is "
    "recorded in the back-office and delivered to the account's API: the answer is the API's own when it comes "
    "within the budget, otherwise 202 with `data.deliveryId` (also in the X-Backoffice-Delivery header). A repeat "
    "with the same Idempotency-Key returns the first answer. Also served at /api/generic/api/v1/Invoice/Update.",
    tags=["Generic invoicing API mirror"],
    parameters=[
        OpenApiParameter(
            "Idempotency-Key",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=False,
            description="A repeat with the same key returns the first answer and changes nothing.",
        ),
    ],
    request=GenericUpdateInvoiceSerializer,
    responses={
        200: RESULT_SCHEMA,
        202: RESULT_SCHEMA,
        400: RESULT_SCHEMA,
        401: RESULT_SCHEMA,
        403: RESULT_SCHEMA,
        404: RESULT_SCHEMA,
        409: RESULT_SCHEMA,
        413: RESULT_SCHEMA,
    },
    examples=[
        OpenApiExample("UpdateInvoice", value=generic.EXAMPLE_REQUEST, request_only=True),
        OpenApiExample("Updated", value=generic.EXAMPLE_RESPONSE, response_only=True, status_codes=["200"]),
        OpenApiExample("Accepted and queued", value=generic.EXAMPLE_QUEUED, response_only=True, status_codes=["202"]),
        OpenApiExample("Validation errors", value=generic.EXAMPLE_INVALID, response_only=True, status_codes=["400"]),
        OpenApiExample("Unauthenticated", value=generic.EXAMPLE_UNAUTHORIZED, response_only=True, status_codes=["401"]),
        OpenApiExample("Unknown invoice", value=generic.EXAMPLE_NOT_FOUND, response_only=True, status_codes=["404"]),
    ],
)


# -- the endpoint -------------------------------------------------------------------------------------------------


class GenericUpdateInvoiceView(MirrorView):
    kind = ProviderKind.GENERIC
    schema = TokenSchema()
    content_negotiation_class = AnyAccept

    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        token = bearer_token(request.headers.get("Authorization")) or request.headers.get(API_KEY_HEADER)
        return client_by_token(token)

    def error_response(self, error: MirrorError) -> HttpResponse:
        if error.status == 401:
            response = json_response(generic.error_envelope(generic.UNAUTHORIZED_MESSAGE, [error.message]), 401)
            response["WWW-Authenticate"] = 'Bearer realm="invoices"'
            return response
        return json_response(generic.error_envelope(error.message, error.details), error.status)

    @UPDATE_SCHEMA
    def put(self, request: Request) -> HttpResponse:
        return self.serve(request, self.update)

    def update(self, client: ApiClient, body: bytes) -> HttpResponse:
        if client.role != ApiClientRole.OPERATOR:
            raise MirrorError(403, "FORBIDDEN", generic.FORBIDDEN_MESSAGE, details=["This API client may only read."])
        try:
            requested = generic.parse_body(body)
        except generic.RequestError as exc:
            raise MirrorError(exc.status, "INVALID_JSON", exc.message, details=exc.errors) from None
        problems = generic.validate(requested)
        if problems:
            raise MirrorError(400, "VALIDATION", generic.VALIDATION_MESSAGE, details=problems)
        found = (
            Invoice.objects.filter(account__in=accounts_for(client, self.kind), remote_id__iexact=requested["id"])
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise MirrorError(
                404, "NOT_FOUND", generic.NOT_FOUND_MESSAGE, details=[f"No invoice with id {requested['id']}."]
            )
        actor = Actor.for_client(client)
        settings = Invoice.objects.select_related("account").get(pk=found).account.effective_settings()
        try:
            with recording(found) as queued:
                invoice = Invoice.objects.prefetch_related("lines", "orders").get(pk=found)
                wanted = generic.intent(requested, invoice_data(invoice), settings)
                invoice_update(invoice_id=found, actor=actor, door=Door.API, lines=wanted.lines, **wanted.fields)
                if wanted.status is not None and wanted.status != invoice.status:
                    invoice_transition(invoice_id=found, to_status=wanted.status, actor=actor, door=Door.API)
        except generic.RequestError as exc:
            raise MirrorError(exc.status, "VALIDATION", exc.message, details=exc.errors) from None
        except IllegalTransition as exc:
            # The lifecycle's refusal is said in the API's words; a provider rule keeps its own reason.
            detail = exc.detail if is_allowed(exc.from_status, exc.to_status) else ""
            targets = allowed_targets(exc.from_status)
            problem = generic.status_problem(exc.from_status, exc.to_status, targets, settings, detail)
            raise MirrorError(400, "VALIDATION", generic.VALIDATION_MESSAGE, details=[problem]) from None
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            raise MirrorError(
                400, "VALIDATION", generic.VALIDATION_MESSAGE, details=generic.problem_lines(errors)
            ) from None
        return self.answer(found, queued, deliver_within_budget(queued))

    def answer(self, invoice_id: int, queued: list[Delivery], delivered: Delivered) -> HttpResponse:
        headers = delivery_headers(delivered)
        if delivered.result is not None:
            stored = delivered.result.data
            message = str(stored.get("message") or generic.SUCCESS_MESSAGE)
            body = generic.envelope(True, message, [], generic.answer_data(stored))
            return json_response(body, headers=headers)
        if delivered.error is not None and isinstance(delivered.error, RejectedError):
            return refusal(delivered.error, headers)
        invoice = Invoice.objects.values("remote_id", "total").get(pk=invoice_id)
        data: dict[str, Any] = {"invoiceId": invoice["remote_id"], "amount": invoice["total"]}
        if not queued:  # the invoice already was as asked: nothing to carry
            return json_response(generic.envelope(True, generic.SUCCESS_MESSAGE, [], data))
        message = generic.QUEUED_MESSAGE
        if delivered.error is not None:  # our setup, not the request: staff fix it and resend
            message = generic.HELD_MESSAGE.format(reason=delivered.error.message)
        body = generic.envelope(True, message, [], {**data, "deliveryId": queued[-1].pk})
        return json_response(body, 202, headers)


class GenericUpdateInvoiceAliasView(GenericUpdateInvoiceView):
    @extend_schema(exclude=True)
    def put(self, request: Request) -> HttpResponse:
        return self.serve(request, self.update)


def refusal(error: ProviderError, headers: dict[str, str]) -> HttpResponse:
    """The API's own refusal, as it wrote it when its answer is at hand."""
    last = error.exchanges[-1] if error.exchanges else None
    if last is not None and last.status_code and 400 <= last.status_code < 500:
        try:
            parsed = loads_decimal(last.response_body)
        except ValueError:
            parsed = None
        if generic.is_envelope(parsed):
            return json_response(parsed, last.status_code, headers)
    status = error.status_code if error.status_code and 400 <= error.status_code < 500 else 400
    return json_response(generic.error_envelope(error.message), status, headers)


urlpatterns = [
    path("v1/Invoice/Update", GenericUpdateInvoiceView.as_view(), name="mirror-generic-update-invoice"),
    path("api/v1/Invoice/Update", GenericUpdateInvoiceAliasView.as_view(), name="mirror-generic-update-invoice-alias"),
]
