"""What happened to an invoice after it was recorded: its deliveries to the provider and its emails, shown
read-only on the invoice page, each linking to its own page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from invoices.models import Delivery, InvoiceEmail, StoredEmail

from .display import delivery_state_badge, email_state_badge


class ReadOnlyInline(admin.TabularInline):
    """A record kept by the services: listed here, changed only through their actions."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    verbose_name_plural = "deliveries to the provider"
    fields = ("delivery", "operation", "to_status", "state_badge", "attempts_display", "outcome", "created_at")
    readonly_fields = fields
    ordering = ("-id",)

    @admin.display(description="delivery")
    def delivery(self, obj: Delivery) -> SafeString:
        return format_html('<a href="{}">#{}</a>', reverse("admin:invoices_delivery_change", args=[obj.pk]), obj.pk)

    @admin.display(description="state")
    def state_badge(self, obj: Delivery) -> SafeString:
        return delivery_state_badge(obj.state)

    @admin.display(description="attempts")
    def attempts_display(self, obj: Delivery) -> str:
        return f"{obj.attempts}/{obj.max_attempts}"

    @admin.display(description="provider message / last error")
    def outcome(self, obj: Delivery) -> str:
        # The provider's own words first: they say what to fix; our error line adds the HTTP status.
        return Truncator(obj.provider_message or obj.last_error).chars(300) or "-"


class EmailInline(ReadOnlyInline):
    model = InvoiceEmail
    verbose_name_plural = "emails"
    fields = ("email", "state_badge", "to", "sent_at", "stored_message", "error_summary", "requested_by")
    readonly_fields = fields
    ordering = ("-id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[InvoiceEmail]:
        stored = StoredEmail.objects.filter(message_id=OuterRef("message_id")).order_by("-id").values("pk")[:1]
        return super().get_queryset(request).annotate(stored_email_id=Subquery(stored))

    @admin.display(description="email")
    def email(self, obj: InvoiceEmail) -> SafeString:
        return format_html('<a href="{}">#{}</a>', reverse("admin:invoices_invoiceemail_change", args=[obj.pk]), obj.pk)

    @admin.display(description="state")
    def state_badge(self, obj: InvoiceEmail) -> SafeString:
        return email_state_badge(obj.state)

    @admin.display(description="stored message")
    def stored_message(self, obj: InvoiceEmail) -> SafeString | str:
        # Only the embedded backend keeps messages; with SMTP the Message-ID is what to search the server for.
        stored_id = getattr(obj, "stored_email_id", None)
        if not obj.message_id or stored_id is None:
            return "-"
        return format_html(
            '<a href="{}">Open the message</a>', reverse("admin:invoices_storedemail_message", args=[stored_id])
        )

    @admin.display(description="error")
    def error_summary(self, obj: InvoiceEmail) -> str:
        return Truncator(obj.error.splitlines()[-1] if obj.error else "").chars(120) or "-"
