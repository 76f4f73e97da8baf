"""Reconciliations in the admin: the runs with their counts, each run's items, the two fixes on selected items
(after a confirmation page), and "Reconcile with provider" on the invoice list.

Everyone who may view invoices may read the runs; running one and fixing items needs
`invoices.run_reconciliation`. The services in `invoices.reconciliation` do the work and have the last word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from invoices.actors import Actor
from invoices.models import Door, Invoice, Reconciliation, ReconciliationItem, ReconciliationResult
from invoices.reconciliation import (
    Fix,
    FixOutcome,
    ReconciliationError,
    differences,
    fix_refusal,
    reconcile_invoices,
    reconciliation_items_fix,
)

from . import push, status
from .actions import ActionPermissionMixin, confirmation_context
from .display import badge, status_badge
from .invoice import InvoiceAdmin

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PERMISSION = "invoices.run_reconciliation"


def _run_id(value: str | None) -> int | None:
    """A run's id from the query string: ASCII digits that fit a database id, or nothing."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 18 else None


CONFIRM_TEMPLATE = "admin/invoices/reconciliation/confirm_fix.html"
RUN_PARAMETER = "run"
ADMIN_LIMIT = 200  # invoices one "Reconcile with provider" may read back within a request

R = ReconciliationResult
RESULT_COLOURS: dict[str, tuple[str, str]] = {
    R.IN_SYNC: ("#1b5e2c", "#d9f0de"),
    R.REMOTE_AHEAD: ("#0b4f8a", "#d8e9f8"),
    R.LOCAL_AHEAD: ("#5c4a00", "#fff1b8"),
    R.MISSING_REMOTELY: ("#7a3e00", "#fbe3c4"),
    R.CONFLICT: ("#ffffff", "#b3261e"),
    R.UNREADABLE: ("#3d3d3d", "#e6e6e6"),
}


def result_badge(result: str) -> SafeString:
    labels = dict(R.choices)
    return badge(
        f"reconciliation-{result}", RESULT_COLOURS.get(result, ("#000000", "#ffffff")), labels.get(result, result)
    )


def items_url(run_id: int, **filters: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in {RUN_PARAMETER: str(run_id), **filters}.items())
    return f"{reverse('admin:invoices_reconciliationitem_changelist')}?{query}"


def can_run(request: HttpRequest) -> bool:
    return request.user.has_perm(PERMISSION)


# --- Runs ---------------------------------------------------------------------------------------------------------
def _count_column(result: str, title: str) -> Callable[[Reconciliation], str]:
    """A column of the runs' list: how many items had this result, linked to them."""

    def column(run: Reconciliation) -> str:
        count = int(run.counts.get(result, 0))
        if not count:
            return "0"
        return format_html('<a href="{}">{}</a>', items_url(run.pk, result=result), count)

    column.__name__ = f"count_{result}"
    return admin.display(description=title)(column)


COUNT_COLUMNS = [_count_column(result, str(title)) for result, title in R.choices]


@admin.register(Reconciliation)
class ReconciliationAdmin(admin.ModelAdmin):
    list_display = ("run", "started_at", "state", "requested_by", "door", "scope", "compared", *COUNT_COLUMNS)
    list_filter = ("door", "started_at")
    date_hierarchy = "started_at"
    list_per_page = 50
    fields = ("state", "requested_by", "door", "scope", "started_at", "finished_at", "summary")
    readonly_fields = fields

    @admin.display(description="run", ordering="id")
    def run(self, run: Reconciliation) -> str:
        return f"#{run.pk}"

    @admin.display(description="state", ordering="finished_at")
    def state(self, run: Reconciliation) -> str:
        if run.finished_at is None:
            return "running (or stopped before the end)"
        return f"{differences(run)} difference(s)" if differences(run) else "all in sync"

    @admin.display(description="invoices")
    def scope(self, run: Reconciliation) -> str:
        parts = []
        if run.provider:
            parts.append(f"provider {run.provider}")
        if run.since:
            parts.append(f"issued since {run.since:%Y-%m-%d}")
        return ", ".join(parts) or "no provider or date filter"

    @admin.display(description="compared")
    def compared(self, run: Reconciliation) -> SafeString:
        return format_html('<a href="{}">{}</a>', items_url(run.pk), sum(run.counts.values()))

    @admin.display(description="findings")
    def summary(self, run: Reconciliation) -> SafeString:
        fixed = run.items.filter(fixed_at__isnull=False).count()
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td></tr>',
            (
                (result_badge(result), items_url(run.pk, result=result), run.counts.get(result, 0))
                for result in R.values
            ),
        )
        return format_html(
            '<table class="reconciliation-summary">{}</table>'
            '<p>Fixed since the run: {}. <a href="{}">All {} items</a></p>',
            rows,
            fixed,
            items_url(run.pk),
            sum(run.counts.values()),
        )

    # Runs are written by the service only, and kept.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- Items --------------------------------------------------------------------------------------------------------
class RunFilter(admin.SimpleListFilter):
    """The run an item belongs to: the latest ones, and any run a link points at."""

    title = "reconciliation"
    parameter_name = RUN_PARAMETER

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        runs = list(Reconciliation.objects.order_by("-id").values_list("id", "started_at")[:10])
        chosen = self.value()
        chosen_id = _run_id(chosen)
        if chosen_id is not None and chosen_id not in {pk for pk, _ in runs}:
            runs += list(Reconciliation.objects.filter(pk=chosen_id).values_list("id", "started_at"))
        return [(str(pk), f"#{pk} ({started:%Y-%m-%d %H:%M})") for pk, started in runs]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        run_id = _run_id(self.value())
        return queryset.filter(reconciliation_id=run_id) if run_id is not None else queryset


class FixedFilter(admin.SimpleListFilter):
    title = "fixed"
    parameter_name = "fixed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Fixed"), ("no", "Not fixed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(fixed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(fixed_at__isnull=True)
        return queryset


@dataclass(frozen=True)
class FixAction:
    fix: str
    title: str
    explanation: str
    verb: str  # the confirmation button, before "2 invoices"


ADOPT = FixAction(
    fix=Fix.ADOPT_REMOTE,
    title="Adopt the provider's state",
    explanation="Each invoice below moves along the lifecycle to the status its provider holds, one step at a "
    "time, each recorded in its history (door: provider) with this reconciliation as the reason. Nothing is sent "
    "back to the provider: it already holds that state.",
    verb="Yes, adopt the provider's state for",
)
PUSH = FixAction(
    fix=Fix.PUSH_LOCAL,
    title="Push ours again",
    explanation="Each invoice below is queued for a push of its current status and fields to its provider, as "
    "with “Push to provider”. The relay sends it in the background; its outcome appears under Deliveries.",
    verb="Yes, push",
)


@dataclass(frozen=True)
class FixRow:
    item: ReconciliationItem
    refusal: str

    @property
    def badge(self) -> SafeString:
        return result_badge(self.item.result)

    @property
    def status_now(self) -> SafeString:
        return status_badge(self.item.invoice.status)


def report(request: HttpRequest, outcomes: Sequence[FixOutcome]) -> None:
    for outcome in outcomes:
        if outcome.ok:
            messages.success(request, f"Invoice {outcome.invoice_number}: {outcome.message}.")
        else:
            messages.error(request, f"Invoice {outcome.invoice_number}: not fixed: {outcome.message}")
    if len(outcomes) > 1:
        done = sum(outcome.ok for outcome in outcomes)
        messages.info(request, f"{done} of {len(outcomes)} items fixed; {len(outcomes) - done} left as they were.")


@admin.register(ReconciliationItem)
class ReconciliationItemAdmin(ActionPermissionMixin, admin.ModelAdmin):
    list_display = (
        "invoice_link",
        "provider",
        "result_display",
        "local_status_display",
        "remote_status_display",
        "remote_word",
        "detail_short",
        "fixed_display",
        "run_link",
    )
    list_display_links = None
    list_select_related = ("invoice", "invoice__account", "reconciliation")
    list_filter = (RunFilter, "result", FixedFilter, "invoice__account")
    search_fields = ("invoice__number", "invoice__remote_id", "remote_word")
    search_help_text = "Invoice number, the provider's id of the invoice, or the provider's word for its status."
    list_per_page = 100
    actions = ("adopt_remote", "push_local")
    fields = (
        "reconciliation",
        "invoice_link",
        "provider",
        "result_display",
        "local_status",
        "remote_status",
        "remote_word",
        "detail",
        "fix",
        "fixed_by",
        "fixed_at",
    )
    readonly_fields = fields

    # -- columns -------------------------------------------------------------------------------------------
    @admin.display(description="invoice", ordering="invoice__number")
    def invoice_link(self, item: ReconciliationItem) -> SafeString:
        url = reverse("admin:invoices_invoice_change", args=[item.invoice_id])
        return format_html('<a href="{}">{}</a>', url, item.invoice.number)

    @admin.display(description="provider", ordering="invoice__account__name")
    def provider(self, item: ReconciliationItem) -> str:
        return item.invoice.account.name

    @admin.display(description="result", ordering="result")
    def result_display(self, item: ReconciliationItem) -> SafeString:
        return result_badge(item.result)

    @admin.display(description="ours (then)", ordering="local_status")
    def local_status_display(self, item: ReconciliationItem) -> SafeString:
        return status_badge(item.local_status)

    @admin.display(description="theirs, in our words", ordering="remote_status")
    def remote_status_display(self, item: ReconciliationItem) -> SafeString | str:
        return status_badge(item.remote_status) if item.remote_status else "-"

    @admin.display(description="detail")
    def detail_short(self, item: ReconciliationItem) -> str:
        return Truncator(item.detail).chars(140)

    @admin.display(description="fixed", ordering="fixed_at")
    def fixed_display(self, item: ReconciliationItem) -> str:
        if item.fixed_at is None:
            return "-"
        return f"{dict(Fix.choices).get(item.fix, item.fix)} by {item.fixed_by}"

    @admin.display(description="run", ordering="reconciliation")
    def run_link(self, item: ReconciliationItem) -> SafeString:
        url = reverse("admin:invoices_reconciliation_change", args=[item.reconciliation_id])
        return format_html('<a href="{}">#{}</a>', url, item.reconciliation_id)

    # -- permissions: the service writes items; staff only fix them --------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_run_reconciliation_permission(self, request: HttpRequest) -> bool:
        return can_run(request)

    # -- actions -------------------------------------------------------------------------------------------
    # A fix writes what the invoice admin's own actions write: it needs their permission as well.
    def has_adopt_permission(self, request: HttpRequest) -> bool:
        return can_run(request) and request.user.has_perm(status.PERMISSION)

    def has_push_again_permission(self, request: HttpRequest) -> bool:
        return can_run(request) and request.user.has_perm(push.PERMISSION)

    @admin.action(description="Adopt the provider's state…", permissions=["adopt"])
    def adopt_remote(self, request: HttpRequest, queryset: QuerySet[ReconciliationItem]) -> HttpResponse | None:
        return self._confirm_or_apply(request, queryset, ADOPT, "adopt_remote")

    @admin.action(description="Push ours again…", permissions=["push_again"])
    def push_local(self, request: HttpRequest, queryset: QuerySet[ReconciliationItem]) -> HttpResponse | None:
        return self._confirm_or_apply(request, queryset, PUSH, "push_local")

    def _confirm_or_apply(
        self, request: HttpRequest, queryset: QuerySet[ReconciliationItem], action: FixAction, name: str
    ) -> HttpResponse | None:
        items = list(queryset.select_related("invoice", "invoice__account", "reconciliation").order_by("id"))
        if request.POST.get("post") == "yes":
            actor = Actor.for_user(request.user)
            report(request, list(reconciliation_items_fix(item_ids=[i.pk for i in items], fix=action.fix, actor=actor)))
            return None  # back to the list, with the messages
        rows = [FixRow(item, fix_refusal(item, action.fix)) for item in items]
        context = confirmation_context(
            self,
            request,
            title=action.title,
            action=name,
            explanation=action.explanation,
            verb=action.verb,
            rows=rows,
            applicable_count=sum(not row.refusal for row in rows),
            cancel_url=request.get_full_path(),
        )
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)


# --- "Reconcile with provider" on the invoice list ----------------------------------------------------------------
@admin.action(description="Reconcile with provider", permissions=["run_reconciliation"])
def reconcile_with_provider(
    model_admin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Invoice]
) -> HttpResponse | None:
    """Read the selected invoices back from their providers (nothing changes) and open the report."""
    selected = queryset.count()
    if selected > ADMIN_LIMIT:
        # One request reads every invoice over HTTP: past this, the page would time out (and providers throttle).
        messages.error(
            request,
            f"{selected} invoices selected: the admin reconciles up to {ADMIN_LIMIT} at a time. "
            "Narrow the selection, or run manage.py reconcile_invoices.",
        )
        return None
    try:
        run = reconcile_invoices(
            invoice_ids=queryset.values_list("pk", flat=True).order_by(),
            actor=Actor.for_user(request.user),
            door=Door.ADMIN,
        )
    except ReconciliationError as exc:
        messages.error(request, str(exc))
        return None
    found = differences(run)
    compared = sum(run.counts.values())
    if found:
        messages.warning(request, f"Reconciliation #{run.pk}: {found} of {compared} invoice(s) differ.")
    else:
        messages.success(request, f"Reconciliation #{run.pk}: all {compared} invoice(s) are in sync.")
    return HttpResponseRedirect(items_url(run.pk))


def _has_run_reconciliation_permission(model_admin: ModelAdmin[Any], request: HttpRequest) -> bool:
    return can_run(request)


# Added from here rather than in invoice.py, so the invoice admin does not have to know about reconciliation:
# the action, and the permission check Django looks up by its name (`has_<permission>_permission`).
InvoiceAdmin.actions = [*(InvoiceAdmin.actions or ()), reconcile_with_provider]
setattr(InvoiceAdmin, "has_run_reconciliation_permission", _has_run_reconciliation_permission)  # noqa: B010
