"""Every status change across invoices as recorded: who, when, from, to, why, through which door."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from invoices.models import StatusChange


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "invoice", "from_status", "to_status", "actor_label", "door", "reason")
    list_select_related = ("invoice",)
    list_filter = ("door", "to_status", "actor_type", "at")
    search_fields = ("invoice__number", "actor_label", "reason")
    search_help_text = "Invoice number, who made the change, or the reason given."
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = (
        "invoice",
        "at",
        "from_status",
        "to_status",
        "actor_type",
        "actor_label",
        "actor_user",
        "actor_client",
        "door",
        "reason",
    )
    readonly_fields = fields

    # Append-only, for everyone: the model and (on PostgreSQL) a trigger refuse edits too.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
