"""The modulus mirror: modulus® invoicing v1 "Update Invoice" (seed 001), served at /api/modulus/.

`PATCH inv/v1/Invoice?token=…` with `{"customer_details": {"invoice_id", "status", "invoice_number",
"void_date"}}` moves the invoice modulus knows by that id and number to sent (open) or void, and the change goes
to modulus. The token is the one the back-office issued, in the query string as modulus takes it; answers and
errors are modulus' envelope `{result, title, message, object}`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.lifecycle import IllegalTransition, InvoiceStatus
from invoices.models import ApiClient, ApiClientRole, Delivery, Door, Invoice
from invoices.services import invoice_transition, invoice_update
from providers.base import ErrorKind, ProviderRuleError
from providers.kinds import ProviderKind
from providers.modulus import mirror as modulus
from providers.modulus.adapter import FUTURE_VOID_DATE

from ..authentication import accounts_for, client_by_token
from ..mirror import (
    Delivered,
    MirrorError,
    MirrorView,
    deliver_within_budget,
    delivery_headers,
    json_response,
    recording,
)

REASON = "modulus status update"


class ProviderAuthSchema(AutoSchema):
    """Documents the provider-style auth the view checks itself (its DRF authentication list is empty)."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        schemes: dict[str, dict[str, Any]] = getattr(self.view, "security_schemes", {})
        for name, definition in schemes.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SECURITY_SCHEMA, object=name, schema=definition)
            )
        return [{name: []} for name in schemes]


# -- schema shapes and the page's examples ----------------------------------------------------------------------
DETAILS = inline_serializer(
    "ModulusCustomerDetails",
    {
        "invoice_id": serializers.CharField(help_text='modulus\' invoice id: an integer, or its digits ("35").'),
        "status": serializers.ChoiceField(choices=["STATUS_SENT", "STATUS_VOID"]),
        "invoice_number": serializers.CharField(help_text="The invoice's number at modulus (spaces around ignored)."),
        "void_date": serializers.CharField(
            required=False, help_text='"YYYY-MM-DD HH:MM:SS", not in the future; read with STATUS_VOID only.'
        ),
    },
)
UPDATE_REQUEST = inline_serializer("ModulusInvoiceStatusUpdate", {"customer_details": DETAILS})
ENVELOPE = inline_serializer(
    "ModulusEnvelope",
    {
        "result": serializers.BooleanField(),
        "title": serializers.CharField(),
        "message": serializers.CharField(),
        "object": serializers.JSONField(required=False, allow_null=True, help_text='{"error_code": N} or null'),
    },
)
EXAMPLE_1 = {
    "customer_details": {
        "invoice_id": "35",
        "status": "STATUS_SENT",
        "invoice_number": "INV_2023_01_01_828 ",
        "void_date": "2023-01-14 19:59:22 ",
    }
}
EXAMPLE_2 = {
    "customer_details": {
        "invoice_id": "35",
        "status": "STATUS_VOID",
        "invoice_number": "INV_2023_01_01_828 ",
        "void_date": "2025-01-14 19:59:22 ",
    }
}
EXAMPLES = [
    OpenApiExample("Example 1: mark the invoice sent", value=EXAMPLE_1, request_only=True),
    OpenApiExample("Example 2: void the invoice", value=EXAMPLE_2, request_only=True),
    OpenApiExample("Status changed", value=modulus.success(), response_only=True, status_codes=["200"]),
    OpenApiExample("Accepted and queued", value=modulus.accepted(42), response_only=True, status_codes=["202"]),
    OpenApiExample(
        "Example 2 on the day it was written",
        value=modulus.error(400, "The void date cannot be in the future."),
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "Invalid status",
        value=modulus.error(400, "Invalid status.", modulus.INVALID_STATUS),
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "Invalid or expired token",
        value=modulus.error(401, modulus.INVALID_TOKEN),
        response_only=True,
        status_codes=["401"],
    ),
]


class InvoiceStatusView(MirrorView):
    kind = ProviderKind.MODULUS
    schema = ProviderAuthSchema()
    security_schemes: ClassVar[dict[str, dict[str, Any]]] = {
        "modulusToken": {
            "type": "apiKey",
            "in": "query",
            "name": "token",
            "description": "The API token the back-office issued, passed as modulus' `?token=`.",
        }
    }

    def authenticate_client(self, request: HttpRequest, body: bytes) -> ApiClient:
        return client_by_token(request.GET.get("token"))

    def error_response(self, error: MirrorError) -> HttpResponse:
        if error.status == 401:
            return json_response(modulus.error(401, modulus.INVALID_TOKEN), 401)
        body = modulus.error(error.status, error.message, modulus.error_code(error.code))
        return json_response(body, error.status)

    @extend_schema(
        operation_id="modulus_invoice_update",
        summary="Change an invoice's status (modulus invoicing v1)",
        description=(
            "STATUS_SENT marks the invoice sent (open), STATUS_VOID voids it on `void_date`. The answer is "
            "modulus' own (200), or 202 with the delivery id when modulus did not answer within the budget."
        ),
        request=UPDATE_REQUEST,
        responses={
            200: ENVELOPE,
            202: ENVELOPE,
            400: ENVELOPE,
            401: ENVELOPE,
            403: ENVELOPE,
            409: ENVELOPE,
            413: ENVELOPE,
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A replay with the same key returns the first answer and changes nothing.",
            )
        ],
        examples=EXAMPLES,
        tags=["modulus"],
    )
    def patch(self, request: Request) -> HttpResponse:
        if not request.GET.get("token"):
            # modulus' common answer to a call without its token (not an authentication failure: a bad request).
            return json_response(modulus.error(400, modulus.TOKEN_REQUIRED, title="Bad Request"), 400)
        return self.serve(request, update_status)


def update_status(client: ApiClient, body: bytes) -> HttpResponse:
    if client.role != ApiClientRole.OPERATOR:
        raise MirrorError(403, "", "This API client may only read: it cannot change invoices.")
    try:
        update = modulus.read_update(modulus.read_body(body))
        invoice = _find_invoice(client, update)
        void_date = modulus.void_date(update, timezone.now())
    except modulus.Refusal as exc:
        raise MirrorError(exc.status, str(exc.error_code or ""), exc.message) from None
    deliveries = _record(client, invoice.pk, update.status, void_date)
    delivered = deliver_within_budget(deliveries)
    headers = delivery_headers(delivered)
    if delivered.error is not None:
        return _provider_refusal(delivered, headers)
    if delivered.queued:
        return json_response(modulus.accepted(delivered.last_delivery_id or 0), 202, headers)
    answer = delivered.result.data if delivered.result is not None else None
    return json_response(modulus.success(answer), 200, headers)


def _find_invoice(client: ApiClient, update: modulus.StatusUpdate) -> Invoice:
    """The invoice modulus knows by this id, among the client's modulus accounts, whose number is the one given."""
    held = list(
        Invoice.objects.filter(
            account__in=accounts_for(client, ProviderKind.MODULUS), remote_id=update.invoice_id
        ).order_by("pk")
    )
    if not held:
        raise modulus.Refusal(400, "Invoice not found.")
    named = [i for i in held if update.invoice_number in {i.remote_number.strip(), i.number.strip()} - {""}]
    if not named:
        raise modulus.Refusal(400, "The invoice number does not match the invoice.")
    if len(named) > 1:
        raise modulus.Refusal(400, "Several invoices carry this id and number: the request is ambiguous.")
    return named[0]


def _record(client: ApiClient, invoice_pk: int, status: str, void_date: str | None) -> list[Delivery]:
    """Record the move (and the void date the push must send) in one transaction, with its delivery.

    A status the invoice already has changes nothing here; the call still goes to modulus (a push of the invoice
    as it stands), which answers it as it answers any repeated status."""
    actor = Actor.for_client(client)
    try:
        with recording(invoice_pk) as deliveries:
            invoice = Invoice.objects.get(pk=invoice_pk)
            if invoice.status != status:
                if status == InvoiceStatus.VOID:
                    fields = dict(invoice.provider_fields or {})
                    # Without a date modulus voids "now": a date kept from an earlier request must not be sent.
                    if void_date:
                        fields["void_date"] = void_date
                    else:
                        fields.pop("void_date", None)
                    invoice_update(invoice_id=invoice_pk, actor=actor, door=Door.API, provider_fields=fields)
                invoice_transition(invoice_id=invoice_pk, to_status=status, actor=actor, door=Door.API, reason=REASON)
        if not deliveries:
            deliveries.append(invoice_push(invoice_id=invoice_pk, actor=actor))
    except IllegalTransition as exc:
        if exc.detail == FUTURE_VOID_DATE:
            raise MirrorError(400, "", exc.detail) from None
        # The sandbox's (and modulus') answer to a voided invoice sent back: voided invoices are final there.
        message = "Invalid status." if exc.from_status == InvoiceStatus.VOID else str(exc)
        raise MirrorError(400, str(modulus.INVALID_STATUS), message) from None
    except (ProviderRuleError, ValidationError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise MirrorError(400, "", message) from None
    return deliveries


def _provider_refusal(delivered: Delivered, headers: dict[str, str]) -> HttpResponse:
    """modulus' refusal, with its status and error code. A refusal of the back-office's own setup (its modulus
    app and secret) is not the caller's fault: it is answered 400 and staff retry the delivery once fixed."""
    error = delivered.error
    assert error is not None
    status = error.status_code or 400
    if error.kind == ErrorKind.REJECTED and 400 <= status < 500:
        body = modulus.error(status, error.message, modulus.error_code(error.provider_code))
        return json_response(body, status, headers)
    message = f"The change was recorded but could not be delivered to modulus: {error.message}"
    return json_response(modulus.error(400, message), 400, headers)


urlpatterns: list[URLPattern] = [
    path("inv/v1/Invoice", InvoiceStatusView.as_view(), name="modulus-invoice"),
]
