"""Webhook events: every delivery a provider made (refused ones too), what it said, and how processing ended.

Read-only for everyone: the receivers write these rows. The one decision staff take is to reprocess a failed or
skipped event once its cause is fixed (the invoice now exists, its status was corrected), after a confirmation
page listing what will be tried and what will be left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from invoices.models import WebhookEvent, WebhookState
from invoices.webhooks.processing import ReprocessOutcome, webhook_reprocess_refusal, webhooks_reprocess

from .actions import ActionPermissionMixin, confirmation_context
from .display import badge, header_lines, pretty_body

PERMISSION = "invoices.reprocess_webhookevent"
CONFIRM_TEMPLATE = "admin/invoices/webhookevent/confirm_reprocess.html"

STATE_COLOURS: dict[str, tuple[str, str]] = {
    WebhookState.RECEIVED: ("#0b4f8a", "#d8e9f8"),
    WebhookState.PROCESSED: ("#1b5e2c", "#d9f0de"),
    WebhookState.SKIPPED: ("#3d3d3d", "#e6e6e6"),
    WebhookState.FAILED: ("#ffffff", "#b3261e"),
    WebhookState.INVALID: ("#7a3e00", "#fbe3c4"),
}


def webhook_state_badge(state: str) -> SafeString:
    try:
        label = str(WebhookState(state).label)
    except ValueError:
        label = state
    return badge(f"webhook-{state}", STATE_COLOURS.get(state, ("#000000", "#ffffff")), label)


@dataclass(frozen=True)
class EventRow:
    event: WebhookEvent
    refusal: str

    @property
    def badge(self) -> SafeString:
        return webhook_state_badge(self.event.state)


def report(request: HttpRequest, outcomes: Sequence[ReprocessOutcome]) -> None:
    for outcome in outcomes:
        if not outcome.ok or outcome.state == WebhookState.FAILED:
            messages.error(request, outcome.message)
        elif outcome.state == WebhookState.PROCESSED:
            messages.success(request, outcome.message)
        else:
            messages.warning(request, outcome.message)
    if len(outcomes) > 1:
        tried = sum(outcome.ok for outcome in outcomes)
        processed = sum(outcome.state == WebhookState.PROCESSED for outcome in outcomes)
        messages.info(
            request,
            f"{tried} of {len(outcomes)} events reprocessed, {processed} of them applied; "
            f"{len(outcomes) - tried} left as they were.",
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ActionPermissionMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "received_at",
        "kind",
        "account",
        "event_type",
        "event_id",
        "state_badge",
        "valid",
        "invoice_link",
        "outcome_short",
    )
    list_display_links = ("id",)
    list_select_related = ("account", "invoice")
    list_filter = ("state", "kind", "valid", "account", "received_at")
    search_fields = ("=event_id", "invoice__number", "outcome")
    search_help_text = "A provider's event id (exactly), an invoice number, or words of the outcome."
    date_hierarchy = "received_at"
    list_per_page = 50
    actions = ("reprocess",)
    fieldsets = (
        (None, {"fields": ("kind", "account", "event_type", "event_id", "occurred_at", "received_at")}),
        ("Outcome", {"fields": ("state_badge", "valid", "invoice", "outcome", "processed_at", "attempts")}),
        ("As received", {"fields": ("headers_display", "body_display")}),
    )
    readonly_fields = (
        "kind",
        "account",
        "event_type",
        "event_id",
        "occurred_at",
        "received_at",
        "state_badge",
        "valid",
        "invoice",
        "outcome",
        "processed_at",
        "attempts",
        "headers_display",
        "body_display",
    )

    # -- columns and fields -------------------------------------------------------------------------------
    @admin.display(description="state", ordering="state")
    def state_badge(self, event: WebhookEvent) -> SafeString:
        return webhook_state_badge(event.state)

    @admin.display(description="invoice", ordering="invoice__number")
    def invoice_link(self, event: WebhookEvent) -> SafeString | str:
        if event.invoice_id is None:
            return "-"
        url = reverse("admin:invoices_invoice_change", args=[event.invoice_id])
        return format_html('<a href="{}">{}</a>', url, event.invoice.number if event.invoice else event.invoice_id)

    @admin.display(description="outcome")
    def outcome_short(self, event: WebhookEvent) -> str:
        return Truncator(event.outcome).chars(100)

    @admin.display(description="headers (secrets removed)")
    def headers_display(self, event: WebhookEvent) -> SafeString:
        return format_html("<pre>{}</pre>", header_lines(event.headers or {}))

    @admin.display(description="body")
    def body_display(self, event: WebhookEvent) -> SafeString:
        return format_html("<pre>{}</pre>", pretty_body(event.body))

    # -- permissions: receivers write these rows; staff only reprocess them ---------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    # -- the action ----------------------------------------------------------------------------------------
    @admin.action(description="Reprocess…", permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> HttpResponse | None:
        events = list(queryset.select_related("account", "invoice").order_by("id"))
        if request.POST.get("post") == "yes":
            report(
                request,
                webhooks_reprocess(event_ids=[e.pk for e in events], requested_by=request.user.get_username()),
            )
            return None
        rows = [EventRow(event, webhook_reprocess_refusal(event)) for event in events]
        context: dict[str, Any] = confirmation_context(
            self,
            request,
            title="Reprocess webhook events" if len(rows) > 1 else f"Reprocess webhook event #{rows[0].event.pk}",
            action="reprocess",
            rows=rows,
            applicable_count=sum(not row.refusal for row in rows),
            cancel_url=request.get_full_path(),
        )
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)
