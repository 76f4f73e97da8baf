"""The invoice admin: the list finance staff work from, and the invoice page.

Creating and editing go through `invoice_create` / `invoice_update` (they validate, recompute the totals and
check the provider's rules); status changes go through the confirmation page in `status.py`. Nothing here
writes a row itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from django.contrib import admin
from django.contrib.admin.utils import construct_change_message, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Min, Model, QuerySet
from django.forms import BaseFormSet, BaseInlineFormSet, Form, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from invoices.actors import Actor
from invoices.lifecycle import allowed_targets
from invoices.models import Door, Invoice, InvoiceLine, InvoiceOrder, StatusChange
from invoices.services import (
    EDITABLE_FIELDS,
    LINE_FIELDS,
    ORDER_FIELDS,
    StaleVersion,
    invoice_create,
    invoice_update,
)
from providers.base import ProviderRuleError
from providers.kinds import ProviderKind

from . import dashboard, export, invoice_emails, push
from .actions import ActionPermissionMixin
from .activity import DeliveryInline, EmailInline
from .display import format_money, status_badge
from .forms import InvoiceForm, InvoiceLineForm, ServiceRefusal, StatusChangeForm
from .status import PERMISSION, STATUS_ACTIONS, apply_status_change, preview_rows, render_confirmation
from .timeline import Timeline
from .totals import totals_per_currency

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

# Where a refused save leaves its reasons for the second rendering of the same request (see changeform_view).
REFUSAL_ATTR = "_invoice_service_refusal"
# The per-currency totals read every invoice listed: shown at once up to this many, on request beyond.
TOTALS_ROW_LIMIT = 10_000
TOTALS_PARAM = "totals"


class YearsFromRange(QuerySet[Invoice]):
    """The date hierarchy's list of years from the first and last issue date listed (two ends of the issue-date
    index when the list is not filtered), where Django asks for `SELECT DISTINCT` of every listed invoice's year,
    a pass over the whole table on every page. A year between the two with no invoice is offered too (its list is
    empty and says so)."""

    def dates(
        self, field_name: str, kind: Literal["year", "month", "week", "day"], order: Literal["ASC", "DESC"] = "ASC"
    ) -> Any:
        if kind != "year":
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        years = [dt.date(year, 1, 1) for year in range(bounds["first"].year, bounds["last"].year + 1)]
        return years if order == "ASC" else years[::-1]


class InvoiceChangeList(ChangeList):
    def get_filters_params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        # `totals` asks for the totals of a long list (see changelist_view): not a lookup, but kept in every link
        # the list builds (pages, sorting, filters), as Django keeps its own ignored parameters.
        lookups: dict[str, Any] = super().get_filters_params(params)
        lookups.pop(TOTALS_PARAM, None)
        return lookups

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Invoice]:
        queryset = super().get_queryset(request, exclude_parameters)
        # The list's queryset keeps its own class and gains the cheaper list of years.
        queryset.__class__ = type("InvoiceListQuerySet", (YearsFromRange, queryset.__class__), {})
        return queryset


class ProviderKindFilter(admin.SimpleListFilter):
    title = "provider kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in ProviderKind.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(account__kind=value) if value else queryset


class LineInline(admin.TabularInline):
    model = InvoiceLine
    form = InvoiceLineForm
    fields = ("sku", "description", "quantity", "unit_price", "tax_rate", "line_amount")
    readonly_fields = ("line_amount",)
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[InvoiceLine]:
        return super().get_queryset(request).select_related("invoice")

    @admin.display(description="amount (excl. tax)")
    def line_amount(self, line: InvoiceLine) -> str:
        if line.pk is None:
            return "computed on save"
        return format_money(line.amount, line.invoice.currency)


class OrderInline(admin.TabularInline):
    model = InvoiceOrder
    fields = ("order_id", "payee_ref", "payer_ref", "payment_status", "amount", "fee")
    extra = 0


class HistoryInline(admin.TabularInline):
    """The status history, as recorded. Append-only for everyone, superusers included."""

    model = StatusChange
    verbose_name_plural = "status history"
    fields = ("at", "from_status", "to_status", "actor_label", "door", "reason")
    readonly_fields = fields
    ordering = ("at", "id")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _inline_rows(formset: BaseInlineFormSet, fields: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The inline's rows as the services take them, or None when nothing in it changed: an edit of other
    fields must not count as an edit of the lines, which some providers refuse once an invoice is sent."""
    if not formset.has_changed():
        return None
    deleted = set(map(id, formset.deleted_forms))
    rows = []
    for form in formset.forms:
        if id(form) in deleted or (form.instance.pk is None and not form.has_changed()):
            continue
        # The form has written its values onto its instance; fields the inline does not show (an order's
        # gateway data, its paid date) keep their stored values, as the service replaces the whole set.
        rows.append({name: getattr(form.instance, name) for name in fields})
    return rows


@admin.register(Invoice)
class InvoiceAdmin(ActionPermissionMixin, admin.ModelAdmin):
    form = InvoiceForm
    inlines = (LineInline, OrderInline, HistoryInline)
    actions = [*STATUS_ACTIONS, push.push_to_provider, invoice_emails.send_email]
    list_display = (
        "number",
        "customer",
        "account",
        "status_badge",
        "total_display",
        "sync_state",
        "issue_date",
        "due_date",
    )
    list_select_related = ("account",)
    list_filter = ("status", "account", ProviderKindFilter, "sync_state", "issue_date", "due_date")
    search_fields = (
        "number",
        "customer_name",
        "customer_email",
        "remote_id",
        "remote_number",
        "customer_ref",
        "orders__order_id",
    )
    search_help_text = "Number, customer name or email, provider id or number, customer ref, or an order id."
    date_hierarchy = "issue_date"
    list_per_page = 50
    # "N results (M total)" counts the whole table a second time on every filtered page; an empty result counts
    # it once to offer "Show all" (see changelist_view).
    show_full_result_count = False
    readonly_fields = (
        "status_badge",
        "sync_state",
        "last_synced_at",
        "sync_error",
        "version",
        "subtotal_display",
        "tax_display",
        "total_display",
        "paid_at",
        "voided_at",
        "created_at",
        "updated_at",
    )

    # -- list ----------------------------------------------------------------------------------------------
    @admin.display(description="customer", ordering="customer_name")
    def customer(self, invoice: Invoice) -> SafeString | str:
        if not invoice.customer_email:
            return invoice.customer_name
        return format_html('{}<br><span class="quiet">{}</span>', invoice.customer_name, invoice.customer_email)

    @admin.display(description="status", ordering="status")
    def status_badge(self, invoice: Invoice) -> SafeString:
        return status_badge(invoice.status)

    @admin.display(description="total", ordering="total")
    def total_display(self, invoice: Invoice) -> str:
        return format_money(invoice.total, invoice.currency)

    @admin.display(description="subtotal")
    def subtotal_display(self, invoice: Invoice) -> str:
        return format_money(invoice.subtotal, invoice.currency)

    @admin.display(description="tax")
    def tax_display(self, invoice: Invoice) -> str:
        return format_money(invoice.tax, invoice.currency)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return InvoiceChangeList

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # `?totals=1` asks for the totals of a list longer than TOTALS_ROW_LIMIT (InvoiceChangeList ignores it).
        totals_asked = request.GET.get(TOTALS_PARAM) == "1"
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if isinstance(context, dict) and "cl" in context:
            cl = context["cl"]
            if totals_asked or cl.result_count <= TOTALS_ROW_LIMIT:
                context["currency_totals"] = totals_per_currency(cl.queryset)
            else:
                context["totals_link"] = cl.get_query_string({TOTALS_PARAM: "1"})
                context["totals_row_limit"] = TOTALS_ROW_LIMIT
            if not cl.result_count:
                # An empty list says whether anything else is there to show (a search, a filter, a year, a link).
                context["all_invoices_count"] = cl.root_queryset.count()
            context.update(export.export_context(cl))
        return response

    # -- permissions ---------------------------------------------------------------------------------------
    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Every invoice has history, which is kept for good: an invoice is voided, never deleted.
        return False

    def has_change_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_push_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(push.PERMISSION)

    def has_send_email_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(invoice_emails.PERMISSION)

    # -- the invoice page ----------------------------------------------------------------------------------
    def get_inlines(self, request: HttpRequest, obj: Model | None) -> list[Any]:
        inlines = list(super().get_inlines(request, obj))
        if obj is not None:
            # What became of the invoice's changes and emails; a new invoice has neither.
            inlines += [DeliveryInline, EmailInline]
        return inlines

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["number", "account"]  # identity: fixed once the invoice exists
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> _FieldsetSpec:
        head = ["number", "account", "invoice_type", "currency", "issue_date", "due_date", "description"]
        totals = ["discount"]
        if obj is not None:
            head.insert(0, "status_badge")
            totals += ["subtotal_display", "tax_display", "total_display"]
            if self.has_change_permission(request, obj):
                head.append("expected_version")
        fieldsets: list[Any] = [
            (None, {"fields": head}),
            (
                "Customer",
                {"fields": ["customer_name", "customer_email", "customer_ref", "receiving_account_ref"]},
            ),
            (
                "Totals",
                {
                    "fields": totals,
                    "description": "Computed from the lines on save: each line is quantity x unit price, "
                    "rounded to the currency's minor unit; total = subtotal - discount + tax.",
                },
            ),
            ("Provider", {"fields": ["remote_id", "remote_number"]}),
            ("Shipping", {"fields": ["courier", "tracking_number", "tracking_url", "dispatched_at"]}),
            ("Extra data", {"fields": ["metadata", "provider_fields"], "classes": ["collapse"]}),
        ]
        if obj is not None:
            fieldsets[3][1]["fields"] += ["sync_state", "last_synced_at", "sync_error", "version"]
            fieldsets.append(("Record", {"fields": ["paid_at", "voided_at", "created_at", "updated_at"]}))
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL_ATTR, None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"service_refusal": refusal})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            # The service refused after the forms had validated; its transaction rolled back. Render the same
            # posted forms again, this time with the service's reasons on the fields they concern.
            setattr(request, REFUSAL_ATTR, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_change_status": self.has_change_status_permission(request),
            "can_push": self.has_push_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Invoice | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            context["timeline"] = Timeline(request, obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Invoice, form: ModelForm, change: bool) -> None:
        # Deliberately empty: the service writes the invoice with its lines and orders in `save_related`,
        # where the inline formsets are at hand.
        pass

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        rows = {fs.model: _inline_rows(fs, _FIELDS[fs.model]) for fs in formsets if fs.model in _FIELDS}
        fields = {name: value for name, value in form.cleaned_data.items() if name in EDITABLE_FIELDS}
        actor = Actor.for_user(request.user)
        try:
            if change:
                invoice = invoice_update(
                    invoice_id=form.instance.pk,
                    actor=actor,
                    door=Door.ADMIN,
                    expected_version=form.cleaned_data.get("expected_version"),
                    lines=rows.get(InvoiceLine),
                    orders=rows.get(InvoiceOrder),
                    **fields,
                )
            else:
                invoice = invoice_create(
                    account=form.cleaned_data["account"],
                    number=form.cleaned_data["number"],
                    customer_name=fields.pop("customer_name"),
                    currency=fields.pop("currency"),
                    issue_date=fields.pop("issue_date"),
                    lines=rows.get(InvoiceLine) or (),
                    orders=rows.get(InvoiceOrder) or (),
                    actor=actor,
                    door=Door.ADMIN,
                    **fields,
                )
        except (ValidationError, ProviderRuleError, StaleVersion) as exc:
            raise ServiceRefusal.from_exception(exc) from exc
        form.instance.pk = invoice.pk
        form.instance.refresh_from_db()

    def construct_change_message(
        self, request: HttpRequest, form: Form, formsets: Iterable[BaseFormSet[Any]], add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        # The formsets were not saved themselves (the service replaced the rows): name what changed in them.
        message = construct_change_message(form, [], add)
        changed = [
            str(formset.model._meta.verbose_name_plural)
            for formset in formsets
            if isinstance(formset, BaseInlineFormSet) and formset.model is not None and formset.has_changed()
        ]
        if changed and not add:
            message.append({"changed": {"fields": changed}})
        return message

    # -- "Change status" for one invoice, the dashboard, the CSV export --------------------------------------
    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "dashboard/",
                self.admin_site.admin_view(partial(dashboard.dashboard_view, self)),
                name="invoices_invoice_dashboard",
            ),
            path(
                "export/",
                self.admin_site.admin_view(partial(export.export_view, self)),
                name="invoices_invoice_export",
            ),
            path(
                "<path:object_id>/change-status/",
                self.admin_site.admin_view(self.change_status_view),
                name="invoices_invoice_change_status",
            ),
            path("<path:object_id>/push/", self.admin_site.admin_view(self.push_view), name="invoices_invoice_push"),
        ]
        return own + super().get_urls()

    def change_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_change_status_permission(request):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404("No invoice with that id.")
        change_url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
        form = StatusChangeForm(
            request.POST if request.method == "POST" else None,
            targets=StatusChangeForm.ordered(allowed_targets(invoice.status)),
        )
        if request.method == "POST" and form.is_valid():
            apply_status_change(
                request,
                invoice_ids=[invoice.pk],
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
            return HttpResponseRedirect(change_url)
        response: TemplateResponse = render_confirmation(
            request,
            self,
            rows=preview_rows([invoice], None),
            form=form,
            to_status=None,
            cancel_url=change_url,
        )
        return response

    # -- "Push" for one invoice ----------------------------------------------------------------------------
    def push_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_push_permission(request):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404("No invoice with that id.")
        change_url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
        if request.method == "POST":
            push.apply_push(request, [invoice])
            return HttpResponseRedirect(change_url)
        return push.render_push_confirmation(request, self, rows=push.push_rows([invoice]), cancel_url=change_url)


# The inlines the services write, with the fields they take per row.
_FIELDS: dict[Any, tuple[str, ...]] = {InvoiceLine: LINE_FIELDS, InvoiceOrder: ORDER_FIELDS}
