"""Pushing invoices to their provider from the admin, with a dry run first.

The confirmation page shows, per invoice, the exact request(s) the push would send (secrets masked) or why it
cannot be sent; nothing leaves at that point. Confirming queues one delivery per invoice that can go; the relay
sends it. The same page serves the bulk action and the "Push" button of the invoice page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString

from invoices.actors import Actor
from invoices.deliveries import invoice_push_check, invoices_push
from invoices.models import Invoice
from providers.base import OutboundRequest

from .actions import confirmation_context
from .display import header_lines, pretty_body, status_badge

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PERMISSION = "invoices.push_invoice"
TEMPLATE = "admin/invoices/invoice/confirm_push.html"


@dataclass(frozen=True)
class ShownRequest:
    """An outbound request as the page shows it: headers one per line, the body pretty-printed."""

    method: str
    url: str
    headers: str
    body: str

    @classmethod
    def of(cls, request: OutboundRequest) -> ShownRequest:
        return cls(request.method, request.url, header_lines(request.headers), pretty_body(request.body))


@dataclass(frozen=True)
class PushRow:
    invoice: Invoice
    requests: tuple[ShownRequest, ...]
    refusal: str

    @property
    def badge(self) -> SafeString:
        return status_badge(self.invoice.status)


def push_rows(invoices: Sequence[Invoice]) -> list[PushRow]:
    rows = []
    for invoice in invoices:
        check = invoice_push_check(invoice_id=invoice.pk)
        rows.append(PushRow(invoice, tuple(ShownRequest.of(r) for r in check.requests), check.refusal))
    return rows


def apply_push(request: HttpRequest, invoices: Sequence[Invoice]) -> None:
    outcomes = invoices_push(invoice_ids=[invoice.pk for invoice in invoices], actor=Actor.for_user(request.user))
    numbers = {invoice.pk: invoice.number for invoice in invoices}
    for outcome in outcomes:
        number = numbers[outcome.invoice_id]
        if outcome.ok:
            messages.success(request, f"Invoice {number}: {outcome.message}.")
        else:
            messages.error(request, f"Invoice {number}: not pushed: {outcome.message}")
    if len(outcomes) > 1:
        queued = sum(outcome.ok for outcome in outcomes)
        messages.info(
            request,
            f"{queued} of {len(outcomes)} invoices queued for their provider; {len(outcomes) - queued} refused.",
        )


def render_push_confirmation(
    request: HttpRequest, model_admin: ModelAdmin[Any], *, rows: Sequence[PushRow], cancel_url: str, action: str = ""
) -> TemplateResponse:
    pushable = [row for row in rows if not row.refusal]
    title = "Push to provider" if len(rows) == 1 else f"Push {len(rows)} invoices to their provider"
    context = confirmation_context(
        model_admin,
        request,
        title=title,
        action=action,
        rows=rows,
        pushable_count=len(pushable),
        cancel_url=cancel_url,
    )
    return TemplateResponse(request, TEMPLATE, context)


@admin.action(description="Push to provider…", permissions=["push"])
def push_to_provider(
    model_admin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Invoice]
) -> HttpResponse | None:
    """First call: the dry-run page, whose form posts back with `post=yes`; then the pushes are queued."""
    invoices = list(queryset.select_related("account").order_by("number"))
    if request.POST.get("post") == "yes":
        apply_push(request, invoices)
        return None  # back to the changelist, with the messages
    return render_push_confirmation(
        request,
        model_admin,
        rows=push_rows(invoices),
        cancel_url=request.get_full_path(),
        action="push_to_provider",
    )
