"""The v1 endpoints. Thin: check who may do what, validate the shape, make one service call, answer.

No generic update exists here: there is no ModelViewSet and no serializer.save(). Status moves only through the
transitions action (`invoice_transition`, with the lifecycle table and the provider's rules); edits only through
`invoice_update`, which refuses read-only fields and stale versions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, UnsupportedMediaType
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.metadata import SimpleMetadata
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from backoffice.api_errors import ApiError, PayloadTooLarge
from invoices.actors import Actor
from invoices.deliveries import delivery_retry, invoices_push
from invoices.emails import invoice_email_request
from invoices.models import ApiClient, Delivery, Door, Invoice, StatusChange
from invoices.services import StaleVersion, invoice_create, invoice_transition, invoice_update

from . import docs, scope
from .authentication import ApiClientTokenAuthentication
from .concurrency import etag, expected_version, stale
from .filters import InvoiceFilter
from .pagination import Pagination
from .parsers import StrictJSONParser
from .permissions import Ability, HasAbility
from .serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EmailRequestSerializer,
    InvoiceCreateSerializer,
    InvoiceEmailSerializer,
    InvoiceSerializer,
    InvoiceSummarySerializer,
    InvoiceUpdateSerializer,
    StatusChangeSerializer,
    TransitionSerializer,
)
from .throttling import ApiClientThrottle, StaffUserThrottle

# Ids beyond 18 digits cannot exist (64-bit keys) and would overflow some databases' integer parameters.
ID_PATTERN = r"[0-9]{1,18}"


class SchemaMetadata(SimpleMetadata):
    """OPTIONS names the endpoint and points at the OpenAPI description, rather than guessing request shapes
    from the response serializers."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {}

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {**super().determine_metadata(request, view), "schema": request.build_absolute_uri("/api/schema/")}


class V1View(APIView):
    """What every v1 endpoint shares: authentication, abilities, throttles, strict JSON, the error envelope."""

    error_envelope = True  # backoffice.api_errors answers this view's errors
    authentication_classes = [ApiClientTokenAuthentication, SessionAuthentication]
    permission_classes = [HasAbility]
    throttle_classes = [ApiClientThrottle, StaffUserThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    metadata_class = SchemaMetadata
    required_abilities: dict[str | None, tuple[Ability, ...]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            length = _content_length(request)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                raise PayloadTooLarge(limit)  # refused before a byte of it is read
            if length and not request.content_type:
                raise UnsupportedMediaType("", detail="Send the body as JSON, with Content-Type: application/json.")


def _content_length(request: Request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def actor_of(request: Request) -> Actor:
    return Actor.for_client(request.auth) if isinstance(request.auth, ApiClient) else Actor.for_user(request.user)


class StableOrderingFilter(OrderingFilter):
    """Orders as asked, then by id, so that pages never overlap or skip rows that tie."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        return ordering if {"id", "-id"} & set(ordering) else [*ordering, "-id"]


# --- Invoices ---------------------------------------------------------------------------------------------------
@extend_schema_view(
    list=docs.invoice_list,
    create=docs.invoice_create,
    retrieve=docs.invoice_retrieve,
    partial_update=docs.invoice_partial_update,
)
class InvoiceViewSet(V1View, GenericViewSet):
    queryset = Invoice.objects.none()  # the real one is the caller's scope (get_queryset)
    serializer_class = InvoiceSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = InvoiceFilter
    ordering_fields = ("number", "issue_date", "due_date", "created_at", "updated_at", "total", "status")
    ordering = ("-created_at", "-id")
    required_abilities = {
        "list": (Ability.VIEW,),
        "retrieve": (Ability.VIEW,),
        "create": (Ability.ADD,),
        "partial_update": (Ability.CHANGE,),
        "transitions": (Ability.VIEW, Ability.CHANGE_STATUS),
        "history": (Ability.VIEW,),
        "deliveries": (Ability.VIEW, Ability.VIEW_DELIVERIES),
        "push": (Ability.VIEW, Ability.PUSH),
        "emails": (Ability.VIEW, Ability.SEND_EMAIL),
    }

    def get_queryset(self) -> QuerySet[Invoice]:
        queryset = scope.invoices(self.request).select_related("account")
        if self.action == "list":
            return queryset.prefetch_related("orders")
        return queryset.prefetch_related("lines", "orders")

    def get_object(self) -> Invoice:
        # Not filtered by the list's query parameters; outside the caller's scope reads as 404.
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def invoice_response(self, invoice_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        invoice = self.get_queryset().get(pk=invoice_id)
        response = Response(InvoiceSerializer(invoice, context=self.get_serializer_context()).data, status=status_code)
        response["ETag"] = etag(invoice)
        if status_code == status.HTTP_201_CREATED:
            response["Location"] = response.data["links"]["self"]
        return response

    # -- the invoice -------------------------------------------------------------------------------------------
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = InvoiceSummarySerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def create(self, request: Request) -> Response:
        serializer = InvoiceCreateSerializer(data=request.data, context={"accounts": scope.accounts(request)})
        serializer.is_valid(raise_exception=True)
        invoice = invoice_create(actor=actor_of(request), door=Door.API, **_plain(serializer.validated_data))
        return self.invoice_response(invoice.pk, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.invoice_response(self.get_object().pk)

    def partial_update(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        serializer = InvoiceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = _plain(serializer.validated_data)
        version, from_if_match = expected_version(request, fields.pop("version", None))
        try:
            invoice_update(
                invoice_id=invoice.pk, actor=actor_of(request), door=Door.API, expected_version=version, **fields
            )
        except StaleVersion as exc:
            raise stale(exc, from_if_match) from None
        return self.invoice_response(invoice.pk)

    # -- its status --------------------------------------------------------------------------------------------
    @docs.invoice_transitions
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version, from_if_match = expected_version(request, data.get("version"))
        try:
            invoice_transition(
                invoice_id=invoice.pk,
                to_status=data["to_status"],
                reason=data["reason"],
                actor=actor_of(request),
                door=Door.API,
                expected_version=version,
            )
        except StaleVersion as exc:
            raise stale(exc, from_if_match) from None
        return self.invoice_response(invoice.pk)

    @docs.invoice_history
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        changes = StatusChange.objects.filter(invoice=invoice).order_by("at", "id")
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(StatusChangeSerializer(page, many=True).data)

    # -- its deliveries and emails -----------------------------------------------------------------------------
    @docs.invoice_deliveries
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        page = self.paginate_queryset(Delivery.objects.filter(invoice=invoice).order_by("-id"))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @docs.invoice_push
    @action(detail=True, methods=["post"])
    def push(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        (outcome,) = invoices_push(invoice_ids=[invoice.pk], actor=actor_of(request))
        if not outcome.ok:
            raise ApiError(status.HTTP_409_CONFLICT, "push_refused", outcome.message)
        assert outcome.delivery_id is not None
        delivery = Delivery.objects.get(pk=outcome.delivery_id)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @docs.invoice_emails
    @action(detail=True, methods=["post"])
    def emails(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        serializer = EmailRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = invoice_email_request(
            invoice_id=invoice.pk, actor=actor_of(request), door=Door.API, to=serializer.validated_data.get("to")
        )
        return Response(InvoiceEmailSerializer(email).data, status=status.HTTP_202_ACCEPTED)


def _plain(data: Any) -> Any:
    """Validated data as plain dicts and lists, as the services take it."""
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    return data


# --- Deliveries -------------------------------------------------------------------------------------------------
@extend_schema_view(retrieve=docs.delivery_retrieve)
class DeliveryViewSet(V1View, GenericViewSet):
    queryset = Delivery.objects.none()
    serializer_class = DeliveryDetailSerializer
    lookup_value_regex = ID_PATTERN
    required_abilities = {
        "retrieve": (Ability.VIEW_DELIVERIES,),
        "retry": (Ability.VIEW_DELIVERIES, Ability.RETRY_DELIVERY),
    }

    def get_queryset(self) -> QuerySet[Delivery]:
        return scope.deliveries(self.request).prefetch_related("attempt_log")

    def get_object(self) -> Delivery:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(DeliveryDetailSerializer(self.get_object()).data)

    @docs.delivery_retry
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        delivery = delivery_retry(delivery_id=self.get_object().pk, actor=actor_of(request))
        return Response(DeliveryDetailSerializer(self.get_queryset().get(pk=delivery.pk)).data, status=202)


# --- Anything else under /api/v1/ -------------------------------------------------------------------------------
@extend_schema(exclude=True)
class NotFoundView(V1View):
    """A 404 in the API's envelope for paths that do not exist (instead of Django's HTML page, or a redirect
    that would turn a POST into a GET)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        path = request.path
        hint = ""
        if not path.endswith("/"):
            try:
                match = resolve(path + "/")
            except Resolver404:
                pass
            else:
                if getattr(match.func, "cls", None) is not NotFoundView:
                    hint = f" Did you mean {path}/ (with a trailing slash)?"
        raise NotFound(f"There is nothing at {path}.{hint}")
