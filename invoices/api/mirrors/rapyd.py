"""The Rapyd mirror: Rapyd's Update Invoice served by the back-office, `POST /api/rapyd/v1/invoices/{invoice}`.

A Rapyd client keeps its code and points its base URL at http://host/api/rapyd: requests are signed exactly as
Rapyd signs them (with a key pair the back-office issued), checked as Rapyd checks them, recorded through the
services on the invoice with that Rapyd id, and answered in Rapyd's envelope with Rapyd's own answer when the
delivery goes through within the budget (202 "accepted and queued" otherwise).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from providers.base import ProviderError, ProviderRuleError, RejectedError
from providers.jsonnumbers import loads_decimal
from providers.kinds import ProviderKind
from providers.rapyd import mirror as rapyd

from ...actors import Actor
from ...models import ApiClient, ApiClientRole, Delivery, Door, Invoice
from ...selectors import invoice_data
from ...services import invoice_update
from ..authentication import accounts_for, client_by_rapyd_signature
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

# The core's own codes, in Rapyd's words where Rapyd has one.
RAPYD_CODES = {"UNAUTHENTICATED": rapyd.UNAUTHENTICATED}


SIGNATURE_SCHEMES = {
    "rapydAccessKey": ("access_key", "The access key the back-office issued to the API client."),
    "rapydSalt": ("salt", "8 to 16 random characters, never used twice."),
    "rapydTimestamp": ("timestamp", "Unix seconds, at most 60 s away from the server's clock."),
    "rapydSignature": (
        "signature",
        "base64(hex(HMAC-SHA256(secret_key, lower(method) + url_path + salt + timestamp + access_key + "
        "secret_key + body))): url_path from /v1 with the query string, body exactly as sent.",
    ),
}


class RapydSignatureSchema(AutoSchema):
    """Documents Rapyd's signature headers as the operation's security (all four together)."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        for name, (header, description) in SIGNATURE_SCHEMES.items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name,
                    type=ResolvedComponent.SECURITY_SCHEMA,
                    object=name,
                    schema={"type": "apiKey", "in": "header", "name": header, "description": description},
                )
            )
        return [{name: [] for name in SIGNATURE_SCHEMES}]


# -- schema (documentation only) ----------------------------------------------------------------------------------
class RapydStatusSerializer(serializers.Serializer):
    error_code = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["SUCCESS", "ERROR"])
    message = serializers.CharField(allow_blank=True)
    response_code = serializers.CharField(allow_blank=True)
    operation_id = serializers.CharField()


class RapydUpdateInvoiceSerializer(serializers.Serializer):
    days_until_due = serializers.IntegerField(required=False, min_value=0)
    due_date = serializers.IntegerField(required=False, help_text="Unix seconds.")
    description = serializers.CharField(required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)
    payment_fields = serializers.DictField(required=False, allow_null=True)
    statement_descriptor = serializers.CharField(required=False, allow_blank=True, max_length=22)
    tax_percent = serializers.DecimalField(required=False, max_digits=6, decimal_places=3, min_value=0, max_value=100)


# `data` would shadow a Serializer attribute as a class field: declared inline instead.
INVOICE_ENVELOPE_SCHEMA = inline_serializer(
    "RapydInvoiceEnvelope",
    {
        "status": RapydStatusSerializer(),
        "data": serializers.DictField(help_text="Rapyd's invoice object (202: our view of it, plus delivery_id)."),
    },
)


class RapydErrorEnvelopeSerializer(serializers.Serializer):
    status = RapydStatusSerializer()


def _error_example(name: str, status: str, code: str, message: str) -> OpenApiExample:
    return OpenApiExample(name, value=rapyd.example_error(code, message), response_only=True, status_codes=[status])


UPDATE_SCHEMA = extend_schema(
    operation_id="rapyd_update_invoice",
    summary="Update Invoice (Rapyd)",
    description="Rapyd's Update Invoice: change an invoice while it is draft. Signed as Rapyd signs requests; "
    "the `idempotency` header returns the first answer to a repeat. The change is recorded in the back-office and "
    "delivered to the Rapyd account: the answer is Rapyd's own when it comes within the budget, otherwise 202 "
    "with `data.delivery_id` (also in the X-Backoffice-Delivery header).",
    tags=["Rapyd mirror"],
    parameters=[
        OpenApiParameter(
            "invoice",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description="ID of the invoice to update: a string starting with invoice_.",
        ),
        OpenApiParameter(
            "idempotency",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=False,
            description="Rapyd's idempotency key: a repeat returns the first answer and changes nothing.",
        ),
    ],
    request=RapydUpdateInvoiceSerializer,
    responses={
        200: INVOICE_ENVELOPE_SCHEMA,
        202: INVOICE_ENVELOPE_SCHEMA,
        400: RapydErrorEnvelopeSerializer,
        401: RapydErrorEnvelopeSerializer,
        404: RapydErrorEnvelopeSerializer,
        409: RapydErrorEnvelopeSerializer,
        413: RapydErrorEnvelopeSerializer,
    },
    examples=[
        OpenApiExample("Update Invoice", value=rapyd.EXAMPLE_REQUEST, request_only=True),
        OpenApiExample("Update tax_percent", value=rapyd.EXAMPLE_TAX_REQUEST, request_only=True),
        OpenApiExample("Updated", value=rapyd.EXAMPLE_RESPONSE, response_only=True, status_codes=["200"]),
        OpenApiExample("Accepted and queued", value=rapyd.EXAMPLE_QUEUED, response_only=True, status_codes=["202"]),
        _error_example("Not draft", "400", rapyd.NOT_DRAFT, "The invoice is not draft. Can only update draft invoice."),
        _error_example("Bad signature", "401", rapyd.UNAUTHENTICATED, "The signature does not match the request."),
        _error_example(
            "Unknown invoice", "404", rapyd.NOT_FOUND, f"The invoice {rapyd.EXAMPLE_INVOICE_ID} was not found."
        ),
    ],
)


# -- the endpoint -------------------------------------------------------------------------------------------------


class RapydInvoiceView(MirrorView):
    kind = ProviderKind.RAPYD
    schema = RapydSignatureSchema()
    content_negotiation_class = AnyAccept

    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        headers = request.headers
        return client_by_rapyd_signature(
            method=request.method or "",
            url_path=rapyd.signed_path(request.get_full_path()),
            # The raw body as received: a signature over anything else would not prove it.
            body=body.decode("utf-8", "replace"),
            access_key=headers.get("access_key"),
            salt=headers.get("salt"),
            timestamp=headers.get("timestamp"),
            signature=headers.get("signature"),
        )

    def error_response(self, error: MirrorError) -> HttpResponse:
        code = RAPYD_CODES.get(error.code, error.code)
        return json_response(rapyd.error_envelope(code, error.message), error.status)

    def idempotency_key(self, request: HttpRequest, body: bytes) -> str | None:
        return request.headers.get("idempotency") or None

    @UPDATE_SCHEMA
    def post(self, request: Request, invoice: str) -> HttpResponse:
        return self.serve(request, lambda client, body: self.update(client, body, invoice))

    def update(self, client: ApiClient, body: bytes, remote_id: str) -> HttpResponse:
        if client.role != ApiClientRole.OPERATOR:
            raise MirrorError(401, rapyd.UNAUTHORIZED, "This API client may only read invoices.")
        found = (
            Invoice.objects.filter(account__in=accounts_for(client, self.kind), remote_id=remote_id)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise MirrorError(404, rapyd.NOT_FOUND, f"The invoice {remote_id} was not found.")
        try:
            requested = rapyd.parse_body(body)
            with recording(found) as queued:
                current = invoice_data(Invoice.objects.prefetch_related("lines", "orders").get(pk=found))
                rapyd.check_updatable(current)
                fields = rapyd.update_fields(requested, current)
                invoice_update(invoice_id=found, actor=Actor.for_client(client), door=Door.API, **fields)
        except rapyd.RequestError as exc:
            raise MirrorError(exc.status, exc.code, exc.message) from None
        except ProviderRuleError as exc:
            raise MirrorError(400, rapyd.UPDATE_REFUSED, str(exc)) from None
        except ValidationError as exc:
            raise invalid(exc) from None
        return self.answer(found, queued, deliver_within_budget(queued))

    def answer(self, invoice_id: int, queued: list[Delivery], delivered: Delivered) -> HttpResponse:
        headers = delivery_headers(delivered)
        if not queued:  # nothing Rapyd holds changed: our view is Rapyd's
            return json_response(rapyd.success_envelope(self.view_of(invoice_id)))
        operation_id = queued[-1].idempotency_key
        if delivered.result is not None:
            data = rapyd.invoice_from_result(delivered.result.data)
            return json_response(rapyd.success_envelope(data, operation_id=operation_id), headers=headers)
        if delivered.error is not None and isinstance(delivered.error, RejectedError):
            return refusal(delivered.error, headers)
        message = rapyd.QUEUED_MESSAGE
        if delivered.error is not None:  # our setup, not the request: staff fix it and resend
            message = rapyd.HELD_MESSAGE.format(reason=delivered.error.message)
        envelope = rapyd.queued_envelope(
            self.view_of(invoice_id),
            delivery_id=queued[-1].pk,
            operation_id=operation_id,
            message=message,
        )
        return json_response(envelope, 202, headers)

    @staticmethod
    def view_of(invoice_id: int) -> dict[str, Any]:
        return rapyd.invoice_view(invoice_data(Invoice.objects.prefetch_related("lines", "orders").get(pk=invoice_id)))


def refusal(error: ProviderError, headers: dict[str, str]) -> HttpResponse:
    """Rapyd's own refusal, as Rapyd wrote it when its answer is at hand."""
    last = error.exchanges[-1] if error.exchanges else None
    if last is not None and last.status_code and 400 <= last.status_code < 500:
        try:
            parsed = loads_decimal(last.response_body)
        except ValueError:
            parsed = None
        if rapyd.is_error_envelope(parsed):
            return json_response(parsed, last.status_code, headers)
    status = error.status_code if error.status_code and 400 <= error.status_code < 500 else 400
    envelope = rapyd.error_envelope(error.provider_code or rapyd.UPDATE_REFUSED, error.message)
    return json_response(envelope, status, headers)


# Our fields, by the Rapyd field a caller sets them with.
_RAPYD_FIELD = {"due_date": "due_date", "description": "description", "metadata": "metadata"}


def invalid(exc: ValidationError) -> MirrorError:
    """A change our own rules refuse (e.g. a due date before the invoice's date), named by the Rapyd field."""
    if hasattr(exc, "error_dict"):
        name, messages = next(iter(exc.message_dict.items()))
        field = _RAPYD_FIELD.get(name, "fields")
        return MirrorError(400, f"INVALID_{field.upper()}", f"{field}: {' '.join(messages)}")
    return MirrorError(400, "INVALID_FIELDS", " ".join(exc.messages))


@csrf_exempt
def unsupported(request: HttpRequest, rest: str) -> HttpResponse:
    """Rapyd's answer to an endpoint that does not exist, or that the account is not set up to use."""
    return json_response(rapyd.error_envelope(rapyd.UNAUTHORIZED, ""), 401)


urlpatterns = [
    path("v1/invoices/<str:invoice>", RapydInvoiceView.as_view(), name="mirror-rapyd-invoice"),
    re_path(r"^(?P<rest>.*)$", unsupported, name="mirror-rapyd-unsupported"),
]
