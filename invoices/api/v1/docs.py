"""OpenAPI descriptions of the v1 endpoints (drf-spectacular), kept apart so the views stay readable."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from .serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EmailRequestSerializer,
    ErrorSerializer,
    InvoiceCreateSerializer,
    InvoiceEmailSerializer,
    InvoiceSerializer,
    InvoiceSummarySerializer,
    InvoiceUpdateSerializer,
    StatusChangeSerializer,
    TransitionSerializer,
)

ERRORS: dict[int, tuple[str, list[OpenApiExample]]] = {
    400: (
        "Invalid request: malformed JSON, a wrong type, an unknown or read-only field, an amount out of range.",
        [
            OpenApiExample(
                "Invalid fields",
                value={
                    "error": {
                        "code": "validation_error",
                        "message": "2 fields are invalid: currency, lines.0.unit_price.",
                        "fields": {
                            "currency": ['Unknown currency "XYZ": use an ISO 4217 code such as EUR, USD or JPY.'],
                            "lines.0.unit_price": ["Ensure this value is greater than or equal to 0."],
                        },
                    }
                },
            )
        ],
    ),
    401: ("No credentials, or an unknown or inactive token.", []),
    403: ("The caller's role or permissions do not allow this (or a session write without its CSRF token).", []),
    404: ("No such object among those the caller may see.", []),
    409: (
        "Refused by the business rules: a status move the lifecycle or the provider does not allow, a stale "
        "`version`, a delivery that cannot be retried.",
        [
            OpenApiExample(
                "Illegal transition",
                value={
                    "error": {
                        "code": "illegal_transition",
                        "message": "Cannot change an invoice from 'Paid' to 'Draft': allowed from there: 'Refunded'.",
                        "fields": {},
                    }
                },
            ),
            OpenApiExample(
                "Stale version",
                value={
                    "error": {
                        "code": "stale_version",
                        "message": "The invoice was changed by someone else (version 4, you had 3). Read the "
                        'invoice again (ETag "4") and apply your change to it.',
                        "fields": {},
                    }
                },
            ),
        ],
    ),
    412: ("`If-Match` does not match the invoice's current ETag: it changed since you read it.", []),
    413: ("The request body is too large.", []),
    415: ("The body is not JSON.", []),
    429: ("Too many requests (or failed authentications): wait `Retry-After` seconds.", []),
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429], description="Seconds to wait."
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 412],
    description='The invoice\'s version, quoted ("3"): send it back as If-Match.',
)
INVOICE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The invoice's id.")
DELIVERY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delivery's id.")
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read ("3"). If the invoice changed since, nothing is changed and the answer is 412.',
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses of an operation; every operation may answer 401, 403 and 429."""
    wanted = sorted({401, 403, 429, *codes})
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERRORS[code][0], examples=ERRORS[code][1]) for code in wanted
    }


WRITE_ERRORS = (400, 404, 409, 413, 415)

invoice_list = extend_schema(
    summary="List invoices",
    description="The invoices of the provider accounts the caller may act on, newest first. Filter, search and "
    "order with the query parameters; pages of 50 by default (`page_size` up to 200).",
    tags=["invoices"],
    parameters=[RETRY_AFTER],
    responses={200: InvoiceSummarySerializer(many=True), **errors(400, 404)},
)

invoice_create = extend_schema(
    summary="Create an invoice",
    description="Creates a draft invoice with its lines and orders; the totals are computed from the lines "
    "(each line rounded to the currency's minor unit, half up). Recorded in the history as created through the API.",
    tags=["invoices"],
    request=InvoiceCreateSerializer,
    parameters=[RETRY_AFTER, ETAG],
    responses={201: InvoiceSerializer, **errors(*WRITE_ERRORS)},
    examples=[
        OpenApiExample(
            "A draft with two lines",
            request_only=True,
            value={
                "account": 1,
                "number": "INV-2026-0042",
                "customer_name": "Ada Lovelace",
                "customer_email": "ada@example.com",
                "currency": "EUR",
                "issue_date": "2026-11-01",
                "due_date": "2026-12-01",
                "lines": [
                    {
                        "sku": "WIDGET",
                        "description": "Widget",
                        "quantity": "2",
                        "unit_price": "10.00",
                        "tax_rate": "20",
                    },
                    {"description": "Shipping", "unit_price": "4.90"},
                ],
                "orders": [{"order_id": "ORD-1001"}],
            },
        )
    ],
)

invoice_retrieve = extend_schema(
    summary="Read an invoice",
    description="With its lines, orders, totals (decimal strings), status, sync state and version (also the ETag).",
    tags=["invoices"],
    parameters=[INVOICE_ID, RETRY_AFTER, ETAG],
    responses={200: InvoiceSerializer, **errors(404)},
)

invoice_partial_update = extend_schema(
    summary="Edit an invoice",
    description="Changes the editable fields given (`lines` or `orders`, when given, replace the whole set); the "
    "status is read-only here (use the transitions). Send `If-Match` (or `version`) to be sure you edit what you "
    "read: a stale one is refused and nothing changes. Some providers refuse edits in some states (409).",
    tags=["invoices"],
    request=InvoiceUpdateSerializer,
    parameters=[INVOICE_ID, IF_MATCH, RETRY_AFTER, ETAG],
    responses={200: InvoiceSerializer, **errors(*WRITE_ERRORS, 412)},
    examples=[
        OpenApiExample("New due date", request_only=True, value={"due_date": "2026-12-15", "version": 3}),
    ],
)

invoice_transitions = extend_schema(
    summary="Change an invoice's status",
    description="Moves the invoice along its lifecycle (draft → open → paid | uncollectible | void; paid → "
    "refunded), checking the provider's own rules too. A refused move answers 409 naming both statuses. The change "
    "is recorded in the history (door `api`, the caller as actor) and queued for the provider.",
    tags=["status"],
    request=TransitionSerializer,
    parameters=[INVOICE_ID, IF_MATCH, RETRY_AFTER, ETAG],
    responses={200: InvoiceSerializer, **errors(*WRITE_ERRORS, 412)},
    examples=[
        OpenApiExample(
            "Finalize", request_only=True, value={"to_status": "open", "reason": "sent to the customer", "version": 1}
        ),
    ],
)

invoice_history = extend_schema(
    summary="An invoice's status history",
    description="Every status change, oldest first: when, from, to, who, through which door, why.",
    tags=["status"],
    parameters=[INVOICE_ID, RETRY_AFTER],
    responses={200: StatusChangeSerializer(many=True), **errors(404)},
)

invoice_deliveries = extend_schema(
    summary="An invoice's deliveries",
    description="What was queued for the provider and what became of it, newest first.",
    tags=["deliveries"],
    parameters=[INVOICE_ID, RETRY_AFTER],
    responses={200: DeliverySerializer(many=True), **errors(404)},
)

invoice_push = extend_schema(
    summary="Push an invoice to its provider",
    description="Queues a delivery of the invoice as it stands (status and fields). Refused with 409 when the "
    "push could not go (the account is disabled, the provider's rules, unreadable credentials).",
    tags=["deliveries"],
    request=None,
    parameters=[INVOICE_ID, RETRY_AFTER],
    responses={202: DeliverySerializer, **errors(404, 409)},
)

invoice_emails = extend_schema(
    summary="Email an invoice",
    description="Queues an email with the invoice's PDF, to the customer's address unless `to` is given. "
    "Sent at most once.",
    tags=["emails"],
    request=EmailRequestSerializer,
    parameters=[INVOICE_ID, RETRY_AFTER],
    responses={202: InvoiceEmailSerializer, **errors(*WRITE_ERRORS)},
)

delivery_retrieve = extend_schema(
    summary="Read a delivery",
    description="With its attempts and the exchanges with the provider (secrets masked).",
    tags=["deliveries"],
    parameters=[DELIVERY_ID, RETRY_AFTER],
    responses={200: DeliveryDetailSerializer, **errors(404)},
)

delivery_retry = extend_schema(
    summary="Retry a failed delivery",
    description="Puts a failed or dead delivery back in line with a fresh allowance of attempts and the same "
    "idempotency key. Refused with 409 for a delivery that is pending, sending, done or cancelled.",
    tags=["deliveries"],
    request=None,
    parameters=[DELIVERY_ID, RETRY_AFTER],
    responses={202: DeliveryDetailSerializer, **errors(404, 409)},
)
