"""Provider accounts. Credentials are write-only: a password field per credential of the account's kind,
whose help text says whether a value is stored ("set, ending in …abcd"), never what it is. Only administrators
set them. Operators pause and resume deliveries to an account; the list shows how many are queued for each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from backoffice.crypto import DecryptionError
from invoices.actors import Actor
from invoices.admin.actions import ActionPermissionMixin
from invoices.deliveries import provider_set_paused
from invoices.models import DeliveryState

from .connection import connection_check
from .kinds import CREDENTIAL_FIELDS, GENERIC_AUTH_SCHEMES, FieldSpec, ProviderKind
from .models import ProviderAccount

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

SECRETS_PERMISSION = "providers.view_provider_secrets_summary"
PAUSE_PERMISSION = "providers.pause_provider"


def credential_field(name: str) -> str:
    return f"credential_{name}"


class ProviderAccountForm(forms.ModelForm):
    kind_chosen: ClassVar[str] = ""  # on "add", the kind picked on the first step
    credential_specs: ClassVar[tuple[FieldSpec, ...]] = ()

    class Meta:
        model = ProviderAccount
        fields = (
            "kind",
            "name",
            "base_url",
            "enabled",
            "paused",
            "settings",
            "max_concurrency",
            "connect_timeout",
            "read_timeout",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            # Chosen on the first step of "add" and fixed from then on: the credential fields are that kind's.
            self.fields["kind"].disabled = True
            self.fields["kind"].initial = self.kind_chosen
        adding = self.instance.pk is None
        self.stored_unreadable = False
        summary: dict[str, str] = {}
        if not adding and self.credential_specs:
            try:
                summary = self.instance.credential_summary()
            except DecryptionError:
                # Encrypted under a key no longer configured: the only way out is to enter them again.
                self.stored_unreadable = True
        for spec in self.credential_specs:
            field = self.fields[credential_field(spec.name)]
            field.required = (adding or self.stored_unreadable) and spec.required
            hint = spec.help_text + " " if spec.help_text else ""
            if adding:
                field.help_text = hint + ("Required." if spec.required else "Optional.")
            elif self.stored_unreadable:
                field.help_text = hint + "The stored value cannot be decrypted with the configured keys: enter it."
            else:
                field.help_text = f"{hint}Currently {summary.get(spec.name, 'not set')}. Leave blank to keep it."

    def clean_settings(self) -> dict[str, Any]:
        value = self.cleaned_data.get("settings")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Settings are a JSON object, e.g. {"auth_scheme": "bearer"}.')
        scheme = value.get("auth_scheme")
        kind = self.instance.kind or self.kind_chosen
        if kind == ProviderKind.GENERIC and scheme is not None and scheme not in GENERIC_AUTH_SCHEMES:
            raise forms.ValidationError(f"auth_scheme must be one of {', '.join(GENERIC_AUTH_SCHEMES)}.")
        return value

    def save(self, commit: bool = True) -> ProviderAccount:
        account: ProviderAccount = super().save(commit=False)
        values = {spec.name: self.cleaned_data.get(credential_field(spec.name)) for spec in self.credential_specs}
        if any(values.values()):
            if self.stored_unreadable:
                account.credentials_encrypted = ""  # replaced as a whole: the old values cannot be read
            account.set_credentials(values, keep_blank=True)
        if commit:
            account.save()
            self.save_m2m()
        return account


def form_for_kind(kind: str, *, with_credentials: bool) -> type[ProviderAccountForm]:
    """The account form for `kind`, with one write-only field per credential of the kind if asked."""
    specs = CREDENTIAL_FIELDS.get(kind, ()) if with_credentials else ()
    attrs: dict[str, Any] = {
        credential_field(spec.name): forms.CharField(
            label=spec.label,
            required=False,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )
        for spec in specs
    }
    attrs["credential_specs"] = specs
    attrs["kind_chosen"] = kind
    return type(f"{kind.title()}AccountForm", (ProviderAccountForm,), attrs)


@admin.register(ProviderAccount)
class ProviderAccountAdmin(ActionPermissionMixin, admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ("name", "kind", "base_url", "enabled", "paused", "queued_deliveries")
    list_filter = ("kind", "enabled", "paused")
    search_fields = ("name", "base_url")
    actions = ("check_connection", "pause_deliveries", "resume_deliveries")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProviderAccount]:
        # Counted in the list's own query (one GROUP BY), not once per row.
        queued = Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING))
        return super().get_queryset(request).annotate(queued_count=queued)

    @admin.display(description="queued deliveries", ordering="queued_count")
    def queued_deliveries(self, account: ProviderAccount) -> int:
        return getattr(account, "queued_count", 0)

    def _chosen_kind(self, request: HttpRequest, obj: ProviderAccount | None) -> str | None:
        kind = obj.kind if obj is not None else request.GET.get("kind")
        return kind if kind in ProviderKind.values else None

    def may_set_credentials(self, request: HttpRequest, obj: ProviderAccount | None) -> bool:
        allowed = self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)
        return allowed and request.user.has_perm(SECRETS_PERMISSION)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return ("kind",) if obj is not None else ()  # the credentials and settings follow the kind

    def get_fieldsets(self, request: HttpRequest, obj: Any | None = None) -> _FieldsetSpec:
        fieldsets: list[Any] = [
            (None, {"fields": ["kind", "name", "base_url", "enabled", "paused"]}),
            (
                "Settings",
                {
                    "fields": ["settings"],
                    "description": "Non-secret, provider-specific settings, as a JSON object.",
                },
            ),
            ("Limits", {"fields": ["max_concurrency", "connect_timeout", "read_timeout"]}),
        ]
        kind = self._chosen_kind(request, obj)
        if kind and self.may_set_credentials(request, obj):
            fieldsets.insert(
                1,
                (
                    "Credentials",
                    {
                        "fields": [credential_field(spec.name) for spec in CREDENTIAL_FIELDS.get(kind, ())],
                        "description": "Write-only: stored encrypted and never shown again.",
                    },
                ),
            )
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        kind = self._chosen_kind(request, obj)
        if kind:
            kwargs["form"] = form_for_kind(kind, with_credentials=self.may_set_credentials(request, obj))
        return super().get_form(request, obj, change, **kwargs)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self._chosen_kind(request, None) is None:
            # First step: the kind decides which credentials the form asks for.
            if not self.has_add_permission(request):
                raise PermissionDenied
            context = {
                **self.admin_site.each_context(request),
                "title": "Add provider account: choose its kind",
                "subtitle": None,
                "opts": self.opts,
                "app_label": self.opts.app_label,
                "kinds": ProviderKind.choices,
            }
            return TemplateResponse(request, "admin/providers/provideraccount/choose_kind.html", context)
        return super().add_view(request, form_url, extra_context)

    def has_test_connection_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("providers.test_provider_connection")

    @admin.action(description="Test connection", permissions=["test_connection"])
    def check_connection(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        for account in queryset.order_by("name"):
            ok, detail = connection_check(account)
            if ok:
                messages.success(request, f"{account.name}: connection works. {detail}")
            else:
                messages.error(request, f"{account.name}: connection failed: {detail}")

    # -- pause and resume: no confirmation page, both are undone by the other and nothing queued is dropped ---
    def has_pause_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PAUSE_PERMISSION)

    @admin.action(description="Pause deliveries", permissions=["pause"])
    def pause_deliveries(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        self._set_paused(request, queryset, paused=True)

    @admin.action(description="Resume deliveries", permissions=["pause"])
    def resume_deliveries(self, request: HttpRequest, queryset: QuerySet[ProviderAccount]) -> None:
        self._set_paused(request, queryset, paused=False)

    def _set_paused(self, request: HttpRequest, queryset: QuerySet[ProviderAccount], *, paused: bool) -> None:
        actor = Actor.for_user(request.user)
        for account in queryset.order_by("name"):
            queued = getattr(account, "queued_count", 0)
            waiting = f"{queued} queued deliver{'y' if queued == 1 else 'ies'}"
            if account.paused == paused:
                state = "paused" if paused else "running (not paused)"
                messages.info(request, f"{account.name} was already {state}: nothing changed.")
                continue
            provider_set_paused(account_id=account.pk, paused=paused, actor=actor)
            if paused:
                messages.success(request, f"{account.name}: paused; {waiting} will wait until it is resumed.")
            elif not account.enabled:
                messages.warning(
                    request,
                    f"{account.name}: resumed, but the account is disabled: {waiting} will wait until it is enabled.",
                )
            else:
                messages.success(request, f"{account.name}: resumed; {waiting} will go out now.")
