"""API clients: administrators see them, choose the accounts each may act on, and deactivate them.

Credentials are issued only by `manage.py create_api_client`, which prints them once; they are stored
hashed or encrypted and never shown here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from invoices.models import ApiClient
from invoices.services import api_client_update, api_clients_deactivate


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "is_active", "account_names", "last_used_at", "created_at")
    list_filter = ("is_active", "role")
    search_fields = ("name",)
    # No credential field, not even read-only: hashes and ciphertexts tell staff nothing and help an attacker.
    fields = ("name", "role", "accounts", "is_active", "last_used_at", "created_at")
    readonly_fields = ("name", "role", "last_used_at", "created_at")
    filter_horizontal = ("accounts",)
    actions = ("deactivate",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).prefetch_related("accounts")

    @admin.display(description="accounts")
    def account_names(self, client: ApiClient) -> str:
        return ", ".join(account.name for account in client.accounts.all()) or "none"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued by `manage.py create_api_client`, which shows the credentials once

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # history rows name their client: deactivate instead

    def save_model(self, request: HttpRequest, obj: ApiClient, form: ModelForm, change: bool) -> None:
        api_client_update(
            client_id=obj.pk,
            is_active=form.cleaned_data["is_active"],
            account_ids=[account.pk for account in form.cleaned_data["accounts"]],
        )

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        pass  # `api_client_update` has set the accounts

    @admin.action(description="Deactivate selected API clients", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        names = api_clients_deactivate(client_ids=list(queryset.values_list("pk", flat=True)))
        if names:
            messages.success(request, f"Deactivated {len(names)} API client(s): {', '.join(names)}.")
        else:
            messages.info(request, "The selected API clients were already inactive: nothing changed.")
