"""Invoice emails in the admin: what was requested and what became of it, and the messages the embedded
backend kept, opened as the recipient would see them. Read-only: the one decision taken here is resending a
failed or uncertain email, and the service makes that a new email."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator

from .actors import Actor
from .emails import invoice_email_resend
from .mail_backend import attachment_parts, parse_raw
from .models import Door, EmailState, InvoiceEmail, StoredEmail

MESSAGE_TEMPLATE = "emails/admin/stored_email.html"
CONFIRM_RESEND_TEMPLATE = "emails/admin/confirm_resend.html"
RESENDABLE = (EmailState.FAILED, EmailState.UNCERTAIN)
# The frame is sandboxed (no scripts, no forms, no same-origin); this keeps it from loading anything remote
# either, so opening a message never tells a tracking pixel that staff read it.
FRAME_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
)


def framed_html(html: str) -> str:
    """The HTML body with the CSP first in its head (before the doctype, it would switch to quirks mode)."""
    head = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    if head is None:
        return FRAME_CSP + html
    return html[: head.end()] + FRAME_CSP + html[head.end() :]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class InvoiceEmailAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "invoice",
        "to",
        "state",
        "sent_at",
        "error_summary",
        "stored_message",
        "created_at",
    )
    list_select_related = ("invoice",)
    list_filter = ("state", "door", "created_at")
    search_fields = ("invoice__number", "to", "message_id", "requested_by")
    search_help_text = "Invoice number, recipient, Message-ID or who asked for it."
    date_hierarchy = "created_at"
    fields = (
        "invoice",
        "to",
        "subject",
        "state",
        "error",
        "message_id",
        "stored_message",
        "idempotency_key",
        "requested_by",
        "door",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["resend"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InvoiceEmail]:
        stored = StoredEmail.objects.filter(message_id=OuterRef("message_id")).order_by("-id").values("pk")[:1]
        return super().get_queryset(request).annotate(stored_email_id=Subquery(stored))

    @admin.display(description="error")
    def error_summary(self, obj: InvoiceEmail) -> str:
        return Truncator(obj.error.splitlines()[-1] if obj.error else "").chars(80)

    @admin.display(description="stored message")
    def stored_message(self, obj: InvoiceEmail) -> str:
        # Only the embedded backend keeps messages; with SMTP the Message-ID is what to search the server for.
        stored_id = getattr(obj, "stored_email_id", None)
        if not obj.message_id or stored_id is None:
            return "-"
        url = reverse("admin:invoices_storedemail_message", args=[stored_id])
        return format_html('<a href="{}">Open the message</a>', url)

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invoices.send_invoice_email")

    @admin.action(description="Send again (as a new email)…", permissions=["send"])
    def resend(self, request: HttpRequest, queryset: QuerySet[InvoiceEmail]) -> HttpResponse | None:
        emails = list(queryset.select_related("invoice").order_by("id"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Send these invoice emails again?",
                "emails": emails,
                "resendable": [e for e in emails if e.state in RESENDABLE],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, CONFIRM_RESEND_TEMPLATE, context)
        actor = Actor.for_user(request.user)
        for email in emails:
            try:
                new = invoice_email_resend(email_id=email.pk, actor=actor, door=Door.ADMIN)
            except ValidationError as exc:
                self.message_user(request, f"{email.invoice.number}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{email.invoice.number}: queued again as email #{new.pk} to {new.to}.",
                    messages.SUCCESS,
                )
        return None


class StoredEmailAdmin(ReadOnlyAdmin):
    list_display = ("subject", "to", "from_email", "created_at", "attachment_names", "open_message")
    search_fields = ("subject", "to", "message_id")
    search_help_text = "Subject, recipient or Message-ID."
    date_hierarchy = "created_at"
    fields = ("message_id", "from_email", "to", "subject", "created_at", "attachment_names", "open_message")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[StoredEmail]:
        # The raw message can weigh megabytes; lists and the detail page do not need it.
        return super().get_queryset(request).defer("raw", "body_html", "body_text")

    @admin.display(description="attachments")
    def attachment_names(self, obj: StoredEmail) -> str:
        return ", ".join(a.get("name") or "(unnamed)" for a in obj.attachments) or "-"

    @admin.display(description="message")
    def open_message(self, obj: StoredEmail) -> str:
        url = reverse("admin:invoices_storedemail_message", args=[obj.pk])
        return format_html('<a href="{}">Open</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/message/", view(self.message_view), name="invoices_storedemail_message"),
            path(
                "<int:object_id>/attachment/<int:index>/",
                view(self.attachment_view),
                name="invoices_storedemail_attachment",
            ),
            path("<int:object_id>/raw/", view(self.raw_view), name="invoices_storedemail_raw"),
            *super().get_urls(),
        ]

    def _get_viewable(self, request: HttpRequest, object_id: int) -> StoredEmail:
        stored = get_object_or_404(StoredEmail, pk=object_id)
        if not self.has_view_permission(request, stored):
            raise PermissionDenied
        return stored

    def message_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        stored = self._get_viewable(request, object_id)
        attachments = [
            {**meta, "url": reverse("admin:invoices_storedemail_attachment", args=[stored.pk, index])}
            for index, meta in enumerate(stored.attachments)
        ]
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": stored.subject,
            "stored": stored,
            "original": stored,
            "attachments": attachments,
            "html_srcdoc": framed_html(stored.body_html) if stored.body_html else "",
            "raw_url": reverse("admin:invoices_storedemail_raw", args=[stored.pk]),
        }
        return TemplateResponse(request, MESSAGE_TEMPLATE, context)

    def attachment_view(self, request: HttpRequest, object_id: int, index: int) -> HttpResponse:
        stored = self._get_viewable(request, object_id)
        # Read back from the raw message, so what staff download is exactly what the recipient received.
        parts = attachment_parts(parse_raw(bytes(stored.raw)))
        if index >= len(parts):
            return HttpResponse("No such attachment.", status=404, content_type="text/plain")
        part = parts[index]
        payload = part.get_payload(decode=True)
        response = HttpResponse(payload if isinstance(payload, bytes) else b"", content_type=part.get_content_type())
        filename = part.get_filename() or f"attachment-{index + 1}"
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response

    def raw_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        stored = self._get_viewable(request, object_id)
        response = HttpResponse(bytes(stored.raw), content_type="message/rfc822")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"message-{stored.pk}.eml"
        )
        return response


admin.site.register(InvoiceEmail, InvoiceEmailAdmin)
admin.site.register(StoredEmail, StoredEmailAdmin)
