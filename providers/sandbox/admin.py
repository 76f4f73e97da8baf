"""The sandbox in the admin: its fault settings (editable by administrators), the log of requests it received,
and the objects it holds. Only the fault settings can be changed: the rest is the sandbox's own record."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import SandboxFault, SandboxObject, SandboxRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(SandboxFault)
class SandboxFaultAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "down",
        "latency_ms",
        "error_rate",
        "throttle_rate",
        "drop_rate",
        "timeout_rate",
        "malformed_rate",
        "next_faults",
    )
    list_filter = ("down",)
    fieldsets = (
        (None, {"fields": ("kind", "down", "latency_ms")}),
        (
            "Rates (0 to 1)",
            {"fields": ("error_rate", "throttle_rate", "drop_rate", "timeout_rate", "malformed_rate")},
        ),
        ("Timing", {"fields": ("retry_after_s", "timeout_s")}),
        ("Scripted", {"fields": ("next_faults",)}),
    )


@admin.register(SandboxRequest)
class SandboxRequestAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "kind", "method", "path", "status_code", "fault", "effect")
    list_filter = ("kind", "status_code", "fault")
    search_fields = ("effect", "path", "idempotency_key")
    search_help_text = "The effect a request had (e.g. an invoice id), its path or its idempotency key."
    ordering = ("-id",)
    date_hierarchy = "received_at"


@admin.register(SandboxObject)
class SandboxObjectAdmin(ReadOnlyAdmin):
    list_display = ("kind", "collection", "key", "updated_at")
    list_filter = ("kind", "collection")
    search_fields = ("key",)
