"""Status changes from the admin: one confirmation page (with a required reason) for the bulk actions and for
the "Change status" button, then one service call, and one message per invoice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition, InvoiceStatus, check_transition
from invoices.models import Door, Invoice
from invoices.services import BulkOutcome, invoices_bulk_transition

from .display import format_money, status_badge, status_label
from .forms import StatusChangeForm

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PERMISSION = "invoices.change_invoice_status"
TEMPLATE = "admin/invoices/invoice/confirm_status.html"
# The statuses staff may ask for; `draft` is where invoices start, never a destination.
TARGETS = [s for s in InvoiceStatus.values if s != InvoiceStatus.DRAFT]


@dataclass(frozen=True)
class Row:
    """An invoice on the confirmation page, with what the lifecycle table says of the move (provider rules are
    checked when the change is made)."""

    invoice: Invoice
    refusal: str

    @property
    def badge(self) -> SafeString:
        return status_badge(self.invoice.status)

    @property
    def total(self) -> str:
        return format_money(self.invoice.total, self.invoice.currency)


def preview_rows(invoices: Sequence[Invoice], to_status: str | None) -> list[Row]:
    rows = []
    for invoice in invoices:
        refusal = ""
        if to_status:
            try:
                check_transition(invoice.status, to_status)
            except IllegalTransition as exc:
                refusal = str(exc)
        rows.append(Row(invoice=invoice, refusal=refusal))
    return rows


def apply_status_change(request: HttpRequest, *, invoice_ids: Sequence[int], to_status: str, reason: str) -> None:
    outcomes = invoices_bulk_transition(
        invoice_ids=invoice_ids,
        to_status=to_status,
        actor=Actor.for_user(request.user),
        door=Door.ADMIN,
        reason=reason,
    )
    report(request, outcomes, to_status)


def report(request: HttpRequest, outcomes: Sequence[BulkOutcome], to_status: str) -> None:
    for outcome in outcomes:
        if outcome.ok:
            messages.success(request, f"Invoice {outcome.number}: {outcome.message}.")
        else:
            messages.error(request, f"Invoice {outcome.number}: {outcome.message}")
    if len(outcomes) > 1:
        moved = sum(outcome.ok for outcome in outcomes)
        messages.info(
            request,
            f"{moved} of {len(outcomes)} invoices changed to {status_label(to_status)}; "
            f"{len(outcomes) - moved} refused.",
        )


def render_confirmation(
    request: HttpRequest,
    model_admin: ModelAdmin,
    *,
    rows: Sequence[Row],
    form: StatusChangeForm,
    to_status: str | None,
    cancel_url: str,
    action: str = "",
) -> TemplateResponse:
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Change status to {status_label(to_status)}" if to_status else "Change status",
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "rows": rows,
        "refused_count": sum(bool(row.refusal) for row in rows),
        "form": form,
        "to_status": to_status,
        "to_label": status_label(to_status) if to_status else "",
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "cancel_url": cancel_url,
        "media": model_admin.media,
    }
    return TemplateResponse(request, TEMPLATE, context)


def status_action(to_status: str) -> Callable[..., HttpResponse | None]:
    """An admin action asking to move the selected invoices to `to_status`.

    First call (from the changelist): the confirmation page, whose form posts back to the changelist with the
    same action, the selected ids and `post=yes`; Django's action machinery then calls this again with the
    same selection, and the change is made (or the page shown again with the form's errors)."""

    def action(model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        invoices = list(queryset.select_related("account").order_by("number"))
        confirming = request.POST.get("post") == "yes"
        form = StatusChangeForm(request.POST if confirming else None, targets=[to_status], fixed=True)
        if confirming and form.is_valid():
            apply_status_change(
                request,
                invoice_ids=[invoice.pk for invoice in invoices],
                to_status=to_status,
                reason=form.cleaned_data["reason"],
            )
            return None  # back to the changelist, with the messages
        return render_confirmation(
            request,
            model_admin,
            rows=preview_rows(invoices, to_status),
            form=form,
            to_status=to_status,
            cancel_url=request.get_full_path(),
            action=action.__name__,
        )

    action.__name__ = f"mark_{to_status}"
    return admin.action(description=f"Change status to {status_label(to_status)}…", permissions=["change_status"])(
        action
    )


STATUS_ACTIONS: list[Any] = [status_action(status) for status in TARGETS]
