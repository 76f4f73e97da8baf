"""Shapes of the v1 API. Input serializers only validate and hand plain values to the services; output
serializers only read. None of them saves anything: a write is always one service call in the view.

Amounts are decimal strings (never floats); invoice totals are written to the currency's minor unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from invoices.currencies import CURRENCY_CHOICES
from invoices.lifecycle import InvoiceStatus, allowed_targets
from invoices.models import (
    Delivery,
    DeliveryAttempt,
    Invoice,
    InvoiceEmail,
    InvoiceLine,
    InvoiceType,
    OrderPaymentStatus,
    StatusChange,
)
from invoices.money import line_amount, line_tax, round_money
from providers.models import ProviderAccount
from providers.redaction import redact_body, redact_headers, redact_url

MAX_LINES = 500
MAX_ORDERS = 500
MAX_VERSION = 2**31 - 1
READ_ONLY_STATUS = "The status cannot be edited: change it with POST /api/v1/invoices/{id}/transitions/."


# --- Building blocks ------------------------------------------------------------------------------------------
class Amount(serializers.DecimalField):
    """A money amount as the database keeps it (18 digits, 4 decimals), never negative."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)


def _clean_json(value: Any, path: str = "") -> Any:
    """JSON as a JSON column can keep it on every database: finite numbers (our parser reads fractions as
    Decimal, given back as float here), text without NUL characters or lone surrogates."""
    if isinstance(value, Mapping):
        return {
            _clean_json(key, path): _clean_json(item, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean_json(item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value)]
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise serializers.ValidationError(f"{path or 'value'}: the number is out of range.")
        return number
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError(f"{path or 'value'}: the text holds a lone surrogate.") from None
        if "\x00" in value:
            raise serializers.ValidationError(f"{path or 'value'}: the text holds a NUL character.")
    return value


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObject(serializers.JSONField):
    """Free-form JSON object (metadata, provider fields, gateway data)."""

    default_error_messages = {"not_object": "Expected a JSON object."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            self.fail("not_object")
        return super().to_internal_value(_clean_json(data))


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know instead of ignoring them: a typo or a read-only field (the status!) is an
    error the caller must see, not a silent no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key: [READ_ONLY_STATUS if key == "status" else "Unknown or read-only field."] for key in unknown}
                )
        return super().to_internal_value(data)


def _optional_text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True)


# --- Lines and orders -----------------------------------------------------------------------------------------
class LineSerializer(StrictSerializer):
    position = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), required=False, default=Decimal("1")
    )
    unit_price = Amount()
    tax_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        default=Decimal("0"),
        help_text="Percent, 0 to 100.",
    )
    amount = serializers.SerializerMethodField(help_text="quantity x unit price, rounded to the currency.")
    tax = serializers.SerializerMethodField(help_text="amount x tax rate / 100, rounded to the currency.")

    @extend_schema_field(serializers.DecimalField(max_digits=18, decimal_places=4))
    def get_amount(self, line: InvoiceLine) -> str:
        return str(line_amount(line.amounts(), line.invoice.currency))

    @extend_schema_field(serializers.DecimalField(max_digits=18, decimal_places=4))
    def get_tax(self, line: InvoiceLine) -> str:
        return str(line_tax(line.amounts(), line.invoice.currency))


class OrderSerializer(StrictSerializer):
    order_id = serializers.CharField(max_length=100)
    payee_ref = _optional_text(100)
    payer_ref = _optional_text(100)
    payment_status = serializers.ChoiceField(choices=OrderPaymentStatus.choices, required=False, allow_blank=True)
    amount = Amount(required=False, allow_null=True)
    fee = Amount(required=False, allow_null=True)
    gateway = JSONObject(required=False, help_text="Gateway fields as the provider names them.")
    paid_at = serializers.DateTimeField(required=False, allow_null=True)


# --- Invoices: input ------------------------------------------------------------------------------------------
class _EditableInvoiceFields(StrictSerializer):
    """The fields `invoices.services.EDITABLE_FIELDS` lets anyone change, with the model's limits."""

    invoice_type = serializers.ChoiceField(choices=InvoiceType.choices, required=False)
    customer_name = serializers.CharField(max_length=200, required=False)
    customer_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    customer_ref = _optional_text(100)
    receiving_account_ref = _optional_text(100)
    description = _optional_text(10_000)
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        error_messages={"invalid_choice": 'Unknown currency "{input}": use an ISO 4217 code such as EUR, USD or JPY.'},
    )
    discount = Amount(required=False, help_text="A fixed amount off the invoice (before tax).")
    issue_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    courier = _optional_text(100)
    tracking_number = _optional_text(100)
    tracking_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    dispatched_at = serializers.DateTimeField(required=False, allow_null=True)
    metadata = JSONObject(required=False)
    provider_fields = JSONObject(required=False)
    remote_id = _optional_text(100)
    remote_number = _optional_text(100)
    lines: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=LineSerializer(), required=False, max_length=MAX_LINES
    )
    orders: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=OrderSerializer(), required=False, max_length=MAX_ORDERS
    )


class CallerAccountField(serializers.PrimaryKeyRelatedField):
    """The id of an account the caller may act on (the serializer's context["accounts"]): the id of any other
    account reads as unknown, exactly as one that does not exist."""

    def get_queryset(self) -> Any:
        return self.context.get("accounts", ProviderAccount.objects.none())


class InvoiceCreateSerializer(_EditableInvoiceFields):
    account = CallerAccountField(
        queryset=ProviderAccount.objects.all(), help_text="The provider account the invoice belongs to."
    )
    number = serializers.CharField(max_length=64, help_text="Our invoice number (unique).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("customer_name", "currency", "issue_date"):
            self.fields[name].required = True

    def validate_number(self, value: str) -> str:
        if Invoice.objects.filter(number=value).exists():
            raise serializers.ValidationError(f"An invoice numbered {value!r} already exists.")
        return value


class InvoiceUpdateSerializer(_EditableInvoiceFields):
    """A partial update of editable fields; `lines` or `orders`, when given, replace the whole set."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The version you read (or send If-Match): a stale one is refused with 409.",
    )


class TransitionSerializer(StrictSerializer):
    to_status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The version you read (or send If-Match): a stale one is refused with 409.",
    )


class EmailRequestSerializer(StrictSerializer):
    to = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        min_length=1,
        max_length=20,
        help_text="Recipients; the invoice's customer email when left out.",
    )


# --- Invoices: output -----------------------------------------------------------------------------------------
class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderAccount
        fields = ("id", "name", "kind")
        read_only_fields = fields


class InvoiceLinksSerializer(serializers.Serializer):
    self = serializers.URLField(read_only=True)
    history = serializers.URLField(read_only=True)
    deliveries = serializers.URLField(read_only=True)
    transitions = serializers.URLField(read_only=True)
    push = serializers.URLField(read_only=True)
    emails = serializers.URLField(read_only=True)

    def to_representation(self, invoice: Invoice) -> dict[str, str]:
        request = self.context.get("request")

        def url(name: str) -> str:
            path = reverse(f"api-v1:{name}", kwargs={"pk": invoice.pk})
            return request.build_absolute_uri(path) if request is not None else path

        return {
            "self": url("invoice-detail"),
            "history": url("invoice-history"),
            "deliveries": url("invoice-deliveries"),
            "transitions": url("invoice-transitions"),
            "push": url("invoice-push"),
            "emails": url("invoice-emails"),
        }


MONEY_FIELDS = ("subtotal", "discount", "tax", "total")


class InvoiceSummarySerializer(serializers.ModelSerializer):
    """An invoice in a list: everything but its lines and orders (their ids are given)."""

    account = AccountSerializer(read_only=True)
    subtotal = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
    discount = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
    tax = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
    order_ids = serializers.SerializerMethodField()
    links = InvoiceLinksSerializer(source="*", read_only=True)
    # Plain strings on the way out: blank is a valid value, not a malformed address.
    customer_email = serializers.CharField(read_only=True)

    class Meta:
        model = Invoice
        fields: tuple[str, ...] = (
            "id",
            "number",
            "account",
            "invoice_type",
            "status",
            "sync_state",
            "version",
            "currency",
            "subtotal",
            "discount",
            "tax",
            "total",
            "customer_name",
            "customer_email",
            "customer_ref",
            "issue_date",
            "due_date",
            "remote_id",
            "remote_number",
            "order_ids",
            "created_at",
            "updated_at",
            "links",
        )
        read_only_fields = fields

    def get_order_ids(self, invoice: Invoice) -> list[str]:
        return invoice.order_ids

    def to_representation(self, instance: Invoice) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in MONEY_FIELDS:  # to the currency's minor unit: "12.50" EUR, "1250" JPY
            data[name] = str(round_money(getattr(instance, name), instance.currency))
        return data


class InvoiceSerializer(InvoiceSummarySerializer):
    lines = LineSerializer(many=True, read_only=True)
    orders = OrderSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(help_text="Statuses the lifecycle allows next.")
    tracking_url = serializers.CharField(read_only=True)

    class Meta(InvoiceSummarySerializer.Meta):
        fields = (
            *InvoiceSummarySerializer.Meta.fields[:-1],
            "allowed_transitions",
            "receiving_account_ref",
            "description",
            "paid_at",
            "voided_at",
            "courier",
            "tracking_number",
            "tracking_url",
            "dispatched_at",
            "metadata",
            "provider_fields",
            "last_synced_at",
            "sync_error",
            "lines",
            "orders",
            "links",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=InvoiceStatus.choices)))
    def get_allowed_transitions(self, invoice: Invoice) -> list[str]:
        return sorted(allowed_targets(invoice.status))


# --- History, deliveries, emails ------------------------------------------------------------------------------
class ActorSerializer(serializers.Serializer):
    type = serializers.CharField(source="actor_type", read_only=True, help_text="user, api_client or system.")
    label = serializers.CharField(source="actor_label", read_only=True)  # type: ignore[assignment]


class StatusChangeSerializer(serializers.ModelSerializer):
    # Declared: DRF drops allow_blank from read-only model fields, and the creation row's from_status is blank.
    from_status = serializers.ChoiceField(
        choices=InvoiceStatus.choices, allow_blank=True, read_only=True, help_text="Blank for the creation."
    )
    actor = ActorSerializer(source="*", read_only=True)

    class Meta:
        model = StatusChange
        fields = ("id", "from_status", "to_status", "at", "actor", "door", "reason")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    attempt_count = serializers.IntegerField(source="attempts", read_only=True)

    class Meta:
        model = Delivery
        fields: tuple[str, ...] = (
            "id",
            "invoice",
            "operation",
            "from_status",
            "to_status",
            "state",
            "attempt_count",
            "max_attempts",
            "next_attempt_at",
            "uncertain",
            "last_error",
            "last_error_kind",
            "provider_message",
            "requested_by",
            "created_at",
            "updated_at",
            "completed_at",
        )
        read_only_fields = fields


class ExchangeSerializer(serializers.Serializer):
    """One request/response with the provider, secrets masked."""

    method = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    request_headers = serializers.DictField(child=serializers.CharField(), read_only=True)
    request_body = serializers.CharField(read_only=True)
    status_code = serializers.IntegerField(read_only=True, allow_null=True)
    response_headers = serializers.DictField(child=serializers.CharField(), read_only=True)
    response_body = serializers.CharField(read_only=True)
    duration_ms = serializers.FloatField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)

    def to_representation(self, exchange: Any) -> dict[str, Any]:
        # Stored redacted already; masked again by name on the way out, in case an older row slipped through.
        exchange = exchange if isinstance(exchange, Mapping) else {}
        status_code = exchange.get("status_code")
        duration = exchange.get("duration_ms")
        return {
            "method": str(exchange.get("method") or ""),
            "url": redact_url(str(exchange.get("url") or "")),
            "request_headers": redact_headers(_str_dict(exchange.get("request_headers"))),
            "request_body": redact_body(str(exchange.get("request_body") or "")),
            "status_code": status_code if isinstance(status_code, int) else None,
            "response_headers": redact_headers(_str_dict(exchange.get("response_headers"))),
            "response_body": redact_body(str(exchange.get("response_body") or "")),
            "duration_ms": float(duration) if isinstance(duration, int | float) else None,
            "error": str(exchange.get("error") or ""),
        }


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


class AttemptSerializer(serializers.ModelSerializer):
    exchanges = ExchangeSerializer(many=True, read_only=True)

    class Meta:
        model = DeliveryAttempt
        fields = (
            "number",
            "outcome",
            "started_at",
            "finished_at",
            "duration_ms",
            "worker",
            "message",
            "retry_at",
            "exchanges",
        )
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    attempts = AttemptSerializer(source="attempt_log", many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = (*DeliverySerializer.Meta.fields, "attempts")
        read_only_fields = fields


class InvoiceEmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceEmail
        fields = ("id", "invoice", "to", "subject", "state", "requested_by", "door", "created_at", "sent_at")
        read_only_fields = fields


# --- Errors (for the schema) ----------------------------------------------------------------------------------
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: validation_error, illegal_transition, …")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the envelope's name; DRF allows it
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per invalid field; nested fields are dotted (lines.0.quantity).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
