"""Sending invoice emails from the invoice list: a confirmation page naming the recipients of each invoice, then
one request per invoice through `invoice_email_request`, and one message per invoice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from invoices.actors import Actor
from invoices.emails import invoice_email_request
from invoices.models import Door, Invoice

from .actions import confirmation_context

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

PERMISSION = "invoices.send_invoice_email"
TEMPLATE = "admin/invoices/invoice/confirm_email.html"


@dataclass(frozen=True)
class EmailRow:
    invoice: Invoice

    @property
    def recipients(self) -> str:
        return self.invoice.customer_email

    @property
    def refusal(self) -> str:
        # The service decides (it also checks the address); this only warns before the obvious refusal.
        return "" if self.invoice.customer_email else "no customer email address: add one to the invoice first"


def apply_send(request: HttpRequest, invoices: Sequence[Invoice]) -> None:
    actor = Actor.for_user(request.user)
    queued = 0
    for invoice in invoices:
        try:
            email = invoice_email_request(invoice_id=invoice.pk, actor=actor, door=Door.ADMIN)
        except ValidationError as exc:
            messages.error(request, f"Invoice {invoice.number}: not sent: {' '.join(exc.messages)}")
        except Invoice.DoesNotExist:
            messages.error(request, f"Invoice {invoice.number}: not sent: it no longer exists.")
        else:
            queued += 1
            messages.success(request, f"Invoice {invoice.number}: email #{email.pk} queued to {email.to}.")
    if len(invoices) > 1:
        messages.info(request, f"{queued} of {len(invoices)} invoice emails queued; {len(invoices) - queued} refused.")


@admin.action(description="Send invoice email…", permissions=["send_email"])
def send_email(model_admin: ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
    invoices = list(queryset.select_related("account").order_by("number"))
    if request.POST.get("post") == "yes":
        apply_send(request, invoices)
        return None
    rows = [EmailRow(invoice) for invoice in invoices]
    context = confirmation_context(
        model_admin,
        request,
        title="Send invoice email" if len(rows) == 1 else f"Send {len(rows)} invoice emails",
        action="send_email",
        rows=rows,
        sendable_count=sum(not row.refusal for row in rows),
        cancel_url=request.get_full_path(),
    )
    return TemplateResponse(request, TEMPLATE, context)
