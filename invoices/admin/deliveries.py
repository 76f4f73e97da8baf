"""Deliveries: every change carried to a provider, what each attempt sent and received, and the two decisions
staff take on them (retry a stopped one, cancel one that should not go). Read-only otherwise, for everyone: the
relay and the services write these rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from invoices.actors import Actor
from invoices.deliveries import (
    DeliveryOutcome,
    deliveries_cancel,
    deliveries_retry,
    delivery_cancel_refusal,
    delivery_retry_refusal,
)
from invoices.models import STOPPED_DELIVERY_STATES, Delivery, DeliveryAttempt
from providers.base import ErrorKind

from .actions import ActionPermissionMixin, confirmation_context
from .display import delivery_state_badge, header_lines, pretty_body

PERMISSION = "invoices.retry_delivery"
CONFIRM_TEMPLATE = "admin/invoices/delivery/confirm_action.html"
EXCHANGES_TEMPLATE = "admin/invoices/delivery/exchanges.html"
NEEDS_ATTENTION = "needed"


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Failed and dead deliveries: stopped, holding back their invoice's later changes until someone decides."""

    title = "attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(NEEDS_ATTENTION, "Needs attention (failed or dead)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == NEEDS_ATTENTION:
            return queryset.filter(state__in=STOPPED_DELIVERY_STATES)
        return queryset


class ErrorKindFilter(admin.SimpleListFilter):
    """The kind of the last failure, which says who can fix it: wait (temporary), the data (rejected), the setup."""

    title = "last error kind"
    parameter_name = "last_error_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (ErrorKind.TEMPORARY.value, "Temporary (retried by itself)"),
            (ErrorKind.REJECTED.value, "Rejected by the provider"),
            (ErrorKind.CONFIGURATION.value, "Configuration"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(last_error_kind=value) if value else queryset


# --- Attempts ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShownExchange:
    """One stored (already redacted) exchange, as the page shows it."""

    method: str
    url: str
    request_headers: str
    request_body: str
    status_code: int | None
    response_headers: str
    response_body: str
    duration_ms: Any
    error: str

    @classmethod
    def of(cls, exchange: dict[str, Any]) -> ShownExchange:
        return cls(
            method=str(exchange.get("method", "")),
            url=str(exchange.get("url", "")),
            request_headers=header_lines(exchange.get("request_headers") or {}),
            request_body=pretty_body(str(exchange.get("request_body") or "")),
            status_code=exchange.get("status_code"),
            response_headers=header_lines(exchange.get("response_headers") or {}),
            response_body=pretty_body(str(exchange.get("response_body") or "")),
            duration_ms=exchange.get("duration_ms"),
            error=str(exchange.get("error") or ""),
        )


class AttemptInline(admin.StackedInline):
    model = DeliveryAttempt
    verbose_name_plural = "attempts"
    fields = ("number", "outcome", "started_at", "duration", "worker", "retry_at", "message", "exchanges_display")
    readonly_fields = fields
    ordering = ("number",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="duration")
    def duration(self, attempt: DeliveryAttempt) -> str:
        return f"{attempt.duration_ms} ms" if attempt.duration_ms is not None else "still running, or never finished"

    @admin.display(description="exchanges with the provider")
    def exchanges_display(self, attempt: DeliveryAttempt) -> str:
        exchanges = [ShownExchange.of(e) for e in attempt.exchanges if isinstance(e, dict)]
        return render_to_string(EXCHANGES_TEMPLATE, {"exchanges": exchanges})


# --- Retry and cancel --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryAction:
    name: str
    title_one: str  # "Retry delivery #5"
    title_many: str
    explanation: str
    verb: str  # "Yes, retry 2 deliveries"
    done: str  # "2 of 3 deliveries queued again"
    refusal: Callable[[Delivery], str]
    run: Callable[..., list[DeliveryOutcome]]


RETRY = DeliveryAction(
    name="retry",
    title_one="Retry delivery",
    title_many="Retry deliveries",
    explanation="Each failed or dead delivery below goes back in line with a fresh allowance of attempts. It keeps "
    "its idempotency key, so a provider that honours one applies the change once even if an earlier attempt "
    "reached it. The invoice's later deliveries go after it.",
    verb="retry",
    done="queued again",
    refusal=delivery_retry_refusal,
    run=deliveries_retry,
)
CANCEL = DeliveryAction(
    name="cancel",
    title_one="Cancel delivery",
    title_many="Cancel deliveries",
    explanation="Each delivery below is set aside and never sent: the provider keeps what it has. The invoice's "
    "later deliveries, held behind it, may then go.",
    verb="cancel",
    done="cancelled",
    refusal=delivery_cancel_refusal,
    run=deliveries_cancel,
)


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    refusal: str

    @property
    def badge(self) -> SafeString:
        return delivery_state_badge(self.delivery.state)


def report(request: HttpRequest, action: DeliveryAction, outcomes: Sequence[DeliveryOutcome]) -> None:
    for outcome in outcomes:
        if outcome.ok:
            messages.success(request, outcome.message)
        else:
            messages.error(request, outcome.message)
    if len(outcomes) > 1:
        done = sum(outcome.ok for outcome in outcomes)
        messages.info(
            request, f"{done} of {len(outcomes)} deliveries {action.done}; {len(outcomes) - done} left as they were."
        )


@admin.register(Delivery)
class DeliveryAdmin(ActionPermissionMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "invoice_link",
        "account",
        "operation",
        "to_status",
        "state_badge",
        "attempts_display",
        "next_attempt_at",
        "last_error_kind",
        "provider_message_short",
        "created_at",
    )
    list_display_links = ("id",)
    list_select_related = ("invoice", "account")
    list_filter = (NeedsAttentionFilter, "state", "account", "operation", ErrorKindFilter, "created_at")
    search_fields = ("invoice__number", "=idempotency_key")
    search_help_text = "Invoice number, or a delivery's idempotency key (exactly)."
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ("retry", "cancel")
    inlines = (AttemptInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "invoice",
                    "account",
                    "operation",
                    "from_status",
                    "to_status",
                    "state_badge",
                    "attempts_display",
                    "next_attempt_at",
                    "completed_at",
                )
            },
        ),
        ("Outcome", {"fields": ("provider_message", "last_error_kind", "last_error", "uncertain")}),
        (
            "Record",
            {
                "fields": (
                    "idempotency_key",
                    "requested_by",
                    "status_change",
                    "claimed_by",
                    "lease_until",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = (
        "invoice",
        "account",
        "operation",
        "from_status",
        "to_status",
        "state_badge",
        "attempts_display",
        "next_attempt_at",
        "completed_at",
        "provider_message",
        "last_error_kind",
        "last_error",
        "uncertain",
        "idempotency_key",
        "requested_by",
        "status_change",
        "claimed_by",
        "lease_until",
        "created_at",
        "updated_at",
    )

    # -- columns -------------------------------------------------------------------------------------------
    @admin.display(description="invoice", ordering="invoice__number")
    def invoice_link(self, delivery: Delivery) -> SafeString:
        url = reverse("admin:invoices_invoice_change", args=[delivery.invoice_id])
        return format_html('<a href="{}">{}</a>', url, delivery.invoice.number)

    @admin.display(description="state", ordering="state")
    def state_badge(self, delivery: Delivery) -> SafeString:
        return delivery_state_badge(delivery.state)

    @admin.display(description="attempts", ordering="attempts")
    def attempts_display(self, delivery: Delivery) -> str:
        return f"{delivery.attempts}/{delivery.max_attempts}"

    @admin.display(description="provider message")
    def provider_message_short(self, delivery: Delivery) -> str:
        return Truncator(delivery.provider_message).chars(80)

    # -- permissions: the relay and the services write deliveries; staff only retry or cancel them ------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    # -- pages ---------------------------------------------------------------------------------------------
    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "needs_attention_count": Delivery.objects.filter(state__in=STOPPED_DELIVERY_STATES).count(),
            "needs_attention_query": f"?{NeedsAttentionFilter.parameter_name}={NEEDS_ATTENTION}",
        }
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        delivery = self.get_object(request, unquote(object_id))
        can_retry = can_cancel = False
        if delivery is not None and self.has_retry_permission(request):
            # Only the buttons that would do something: the services have the last word either way.
            can_retry, can_cancel = not RETRY.refusal(delivery), not CANCEL.refusal(delivery)
        extra_context = {**(extra_context or {}), "can_retry": can_retry, "can_cancel": can_cancel}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/retry/", view(self.retry_view), name="invoices_delivery_retry"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="invoices_delivery_cancel"),
            *super().get_urls(),
        ]

    # -- actions -------------------------------------------------------------------------------------------
    @admin.action(description="Retry…", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> HttpResponse | None:
        return self._confirm_or_apply(request, queryset, RETRY)

    @admin.action(description="Cancel…", permissions=["retry"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> HttpResponse | None:
        return self._confirm_or_apply(request, queryset, CANCEL)

    def _confirm_or_apply(
        self, request: HttpRequest, queryset: QuerySet[Delivery], action: DeliveryAction
    ) -> HttpResponse | None:
        deliveries = list(queryset.select_related("invoice", "account").order_by("id"))
        if request.POST.get("post") == "yes":
            report(
                request, action, action.run(delivery_ids=[d.pk for d in deliveries], actor=Actor.for_user(request.user))
            )
            return None
        return self._render_confirmation(
            request, deliveries, action, cancel_url=request.get_full_path(), action_name=action.name
        )

    def _render_confirmation(
        self,
        request: HttpRequest,
        deliveries: Sequence[Delivery],
        action: DeliveryAction,
        *,
        cancel_url: str,
        action_name: str = "",
    ) -> TemplateResponse:
        rows = [DeliveryRow(delivery, action.refusal(delivery)) for delivery in deliveries]
        context = confirmation_context(
            self,
            request,
            title=action.title_many if len(rows) > 1 else f"{action.title_one} #{rows[0].delivery.pk}",
            action=action_name,
            verb=action.verb,
            explanation=action.explanation,
            rows=rows,
            applicable_count=sum(not row.refusal for row in rows),
            cancel_url=cancel_url,
        )
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    # -- the buttons of the delivery page ------------------------------------------------------------------
    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._object_action_view(request, object_id, RETRY)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._object_action_view(request, object_id, CANCEL)

    def _object_action_view(self, request: HttpRequest, object_id: str, action: DeliveryAction) -> HttpResponse:
        if not self.has_retry_permission(request):
            raise PermissionDenied
        delivery = self.get_object(request, unquote(object_id))
        if delivery is None:
            raise Http404("No delivery with that id.")
        change_url = reverse("admin:invoices_delivery_change", args=[delivery.pk])
        if request.method == "POST":
            report(request, action, action.run(delivery_ids=[delivery.pk], actor=Actor.for_user(request.user)))
            return HttpResponseRedirect(change_url)
        return self._render_confirmation(request, [delivery], action, cancel_url=change_url)
