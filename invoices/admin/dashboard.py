"""The dashboard: where finance staff start the day. Invoices by status and provider, what is still owed per
currency, the last fourteen days of deliveries as a chart, the queue, paused providers, and the deliveries that
need someone. Every figure links to the list it counts, filtered.

Each block is one aggregate query (six in all, whatever the volume); nothing here loads rows one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from invoices.lifecycle import InvoiceStatus
from invoices.models import STOPPED_DELIVERY_STATES, Delivery, DeliveryState, Invoice
from providers.models import ProviderAccount

from .deliveries import NEEDS_ATTENTION, NeedsAttentionFilter
from .display import delivery_state_badge, format_money, status_badge
from .totals import OUTSTANDING_STATUSES, ZERO

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TEMPLATE = "admin/invoices/dashboard.html"
CHART_DAYS = 14
ATTENTION_ROWS = 10
QUEUED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)


def changelist_url(name: str, params: Mapping[str, Any] | None = None) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def invoices_url(**params: Any) -> str:
    return changelist_url("invoices_invoice", params)


def deliveries_url(**params: Any) -> str:
    return changelist_url("invoices_delivery", params)


@dataclass(frozen=True)
class Figure:
    """A number and the filtered list it counts."""

    count: int
    url: str


# --- Invoices by status and provider -------------------------------------------------------------------------
@dataclass(frozen=True)
class ProviderRow:
    name: str
    url: str
    cells: list[Figure]
    total: Figure


@dataclass(frozen=True)
class StatusMatrix:
    statuses: list[tuple[str, SafeString]]  # value, badge
    rows: list[ProviderRow]
    totals: list[Figure]
    total: Figure


def invoices_by_status_and_provider() -> StatusMatrix:
    counts = (
        Invoice.objects.order_by()
        .values("account_id", "account__name", "status")
        .annotate(n=Count("id"))
        .order_by("account__name", "account_id")
    )
    statuses = list(InvoiceStatus.values)
    by_account: dict[int, tuple[str, dict[str, int]]] = {}
    for row in counts:
        by_account.setdefault(row["account_id"], (row["account__name"], {}))[1][row["status"]] = row["n"]
    rows = []
    for account_id, (name, per_status) in by_account.items():
        rows.append(
            ProviderRow(
                name=name,
                url=invoices_url(account__id__exact=account_id),
                cells=[
                    Figure(per_status.get(s, 0), invoices_url(account__id__exact=account_id, status__exact=s))
                    for s in statuses
                ],
                total=Figure(sum(per_status.values()), invoices_url(account__id__exact=account_id)),
            )
        )
    totals = [
        Figure(sum(per_status.get(s, 0) for _, per_status in by_account.values()), invoices_url(status__exact=s))
        for s in statuses
    ]
    return StatusMatrix(
        statuses=[(s, status_badge(s)) for s in statuses],
        rows=rows,
        totals=totals,
        total=Figure(sum(f.count for f in totals), invoices_url()),
    )


# --- Outstanding amounts --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outstanding:
    currency: str
    count: int
    amount: Decimal
    url: str

    @property
    def display(self) -> str:
        return format_money(self.amount, self.currency)


def outstanding_by_currency() -> list[Outstanding]:
    """Open and uncollectible invoices, summed per currency: amounts in two currencies are never added."""
    rows = (
        Invoice.objects.filter(status__in=OUTSTANDING_STATUSES)
        .order_by()
        .values("currency")
        .annotate(n=Count("id"), amount=Sum("total", default=ZERO))
        .order_by("currency")
    )
    outstanding = ",".join(OUTSTANDING_STATUSES)
    return [
        Outstanding(
            currency=row["currency"],
            count=row["n"],
            amount=Decimal(row["amount"]),
            url=invoices_url(currency__exact=row["currency"], status__in=outstanding),
        )
        for row in rows
    ]


# --- Deliveries per day ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    series: str  # "succeeded" or "failed"
    count: int
    url: str
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Day:
    date: dt.date
    succeeded: Bar
    failed: Bar
    label_x: float

    @property
    def bars(self) -> tuple[Bar, Bar]:
        return (self.succeeded, self.failed)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    """Bars drawn in SVG user units; the template only places them."""

    days: list[Day]
    ticks: list[Tick]
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: float
    succeeded_total: int
    failed_total: int

    @property
    def empty(self) -> bool:
        return not (self.succeeded_total or self.failed_total)

    @property
    def middle_x(self) -> float:
        return (self.plot_left + self.plot_right) / 2

    @property
    def middle_y(self) -> float:
        return self.baseline / 2


def _scale_max(peak: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `peak`: round gridlines."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= peak:
                return step * scale
        scale *= 10


WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 14, 34


def finished_per_day(first: dt.date) -> dict[dt.date, tuple[int, int]]:
    """(succeeded, failed or dead) per day since `first`, in the site's time zone: one GROUP BY."""
    rows = (
        Delivery.objects.filter(
            completed_at__gte=timezone.make_aware(dt.datetime.combine(first, dt.time.min)),
            state__in=(DeliveryState.SUCCEEDED, *STOPPED_DELIVERY_STATES),
        )
        .annotate(day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(
            succeeded=Count("id", filter=Q(state=DeliveryState.SUCCEEDED)),
            failed=Count("id", filter=Q(state__in=STOPPED_DELIVERY_STATES)),
        )
    )
    return {row["day"]: (row["succeeded"], row["failed"]) for row in rows}


def deliveries_per_day(*, days: int = CHART_DAYS, today: dt.date | None = None) -> Chart:
    """Deliveries finished on each of the last `days` days, by how they ended: succeeded, or stopped (failed or
    dead). A delivery counts once, on the day it finished, under the state it has now (a failed delivery retried
    since then counts where it finished the second time)."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    counts = finished_per_day(first)
    top = _scale_max(max([n for pair in counts.values() for n in pair] + [1]))
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = (WIDTH - LEFT - RIGHT) / days
    bar_width = min(18.0, (slot - 8) / 2)

    def bar(series: str, count: int, x: float, link: dict[str, str]) -> Bar:
        height = round(plot_height * count / top, 1)
        return Bar(series, count, deliveries_url(**link), round(x, 1), round(baseline - height, 1), bar_width, height)

    chart_days = []
    for index in range(days):
        date = first + dt.timedelta(days=index)
        succeeded, failed = counts.get(date, (0, 0))
        centre = LEFT + slot * index + slot / 2
        on_day = {"completed_at__date": date.isoformat()}
        succeeded_link = {"state__exact": DeliveryState.SUCCEEDED.value, **on_day}
        failed_link = {NeedsAttentionFilter.parameter_name: NEEDS_ATTENTION, **on_day}
        chart_days.append(
            Day(
                date=date,
                succeeded=bar("succeeded", succeeded, centre - bar_width - 1, succeeded_link),
                failed=bar("failed", failed, centre + 1, failed_link),
                label_x=round(centre, 1),
            )
        )
    return Chart(
        days=chart_days,
        ticks=[Tick(value, round(baseline - plot_height * value / top, 1)) for value in sorted({0, top // 2, top})],
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        succeeded_total=sum(d.succeeded.count for d in chart_days),
        failed_total=sum(d.failed.count for d in chart_days),
    )


# --- The queue and what needs attention ---------------------------------------------------------------------
@dataclass(frozen=True)
class Queue:
    pending: Figure
    sending: Figure
    queued: Figure
    failed: Figure
    dead: Figure
    attention: Figure


def delivery_queue() -> Queue:
    counts = Delivery.objects.aggregate(
        pending=Count("id", filter=Q(state=DeliveryState.PENDING)),
        sending=Count("id", filter=Q(state=DeliveryState.SENDING)),
        failed=Count("id", filter=Q(state=DeliveryState.FAILED)),
        dead=Count("id", filter=Q(state=DeliveryState.DEAD)),
    )
    return Queue(
        pending=Figure(counts["pending"], deliveries_url(state__exact=DeliveryState.PENDING)),
        sending=Figure(counts["sending"], deliveries_url(state__exact=DeliveryState.SENDING)),
        queued=Figure(counts["pending"] + counts["sending"], deliveries_url(state__in=",".join(QUEUED_STATES))),
        failed=Figure(counts["failed"], deliveries_url(state__exact=DeliveryState.FAILED)),
        dead=Figure(counts["dead"], deliveries_url(state__exact=DeliveryState.DEAD)),
        attention=Figure(
            counts["failed"] + counts["dead"], deliveries_url(**{NeedsAttentionFilter.parameter_name: NEEDS_ATTENTION})
        ),
    )


@dataclass(frozen=True)
class PausedProvider:
    name: str
    kind: str
    enabled: bool
    url: str
    queued: Figure


def paused_providers() -> list[PausedProvider]:
    accounts = (
        ProviderAccount.objects.filter(paused=True)
        .annotate(queued=Count("deliveries", filter=Q(deliveries__state__in=QUEUED_STATES)))
        .order_by("name")
    )
    return [
        PausedProvider(
            name=account.name,
            kind=account.get_kind_display(),
            enabled=account.enabled,
            url=reverse("admin:providers_provideraccount_change", args=[account.pk]),
            queued=Figure(
                getattr(account, "queued", 0),
                deliveries_url(account__id__exact=account.pk, state__in=",".join(QUEUED_STATES)),
            ),
        )
        for account in accounts
    ]


@dataclass(frozen=True)
class AttentionRow:
    delivery: Delivery
    url: str
    invoice_url: str

    @property
    def badge(self) -> SafeString:
        return delivery_state_badge(self.delivery.state)

    @property
    def message(self) -> str:
        return self.delivery.provider_message or self.delivery.last_error


def deliveries_needing_attention(limit: int = ATTENTION_ROWS) -> list[AttentionRow]:
    deliveries = (
        Delivery.objects.filter(state__in=STOPPED_DELIVERY_STATES)
        .select_related("invoice", "account")
        .order_by("-completed_at", "-id")[:limit]
    )
    return [
        AttentionRow(
            delivery=d,
            url=reverse("admin:invoices_delivery_change", args=[d.pk]),
            invoice_url=reverse("admin:invoices_invoice_change", args=[d.invoice_id]),
        )
        for d in deliveries
    ]


# --- The page --------------------------------------------------------------------------------------------------
def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The figures this user may see: invoices for anyone who may view them; deliveries and providers for those
    who may view those too."""
    user = request.user
    context: dict[str, Any] = {
        "matrix": invoices_by_status_and_provider(),
        "outstanding": outstanding_by_currency(),
        "outstanding_statuses": capfirst(" and ".join(InvoiceStatus(s).label.lower() for s in OUTSTANDING_STATUSES)),
        "can_view_deliveries": user.has_perm("invoices.view_delivery"),
        "can_view_providers": user.has_perm("providers.view_provideraccount"),
        "chart_days": CHART_DAYS,
    }
    if context["can_view_deliveries"]:
        context["chart"] = deliveries_per_day()
        context["queue"] = delivery_queue()
        context["attention_rows"] = deliveries_needing_attention()
    if context["can_view_providers"]:
        context["paused"] = paused_providers()
        context["providers_url"] = changelist_url("providers_provideraccount", {"paused__exact": 1})
    return context


def dashboard_view(model_admin: ModelAdmin[Invoice], request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Dashboard",
        "subtitle": None,
        "opts": model_admin.opts,
        **dashboard_context(request),
    }
    return TemplateResponse(request, TEMPLATE, context)
