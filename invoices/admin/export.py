"""The invoice list as CSV, exactly as filtered on screen (search, filters, date drill-down and ordering; all pages).

Streamed: rows are read from the database in chunks and written out as they come, so a list of 100 000 invoices
never sits in memory, and the export costs the same few queries however long it is. Amounts are exact decimals
in the currency's minor unit, with a dot and no thousands separator, so a spreadsheet reads them as numbers.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from invoices.currencies import UnknownCurrency
from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice, InvoiceType, SyncState
from invoices.money import quantum
from providers.kinds import ProviderKind

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# A spreadsheet runs a cell starting with one of these as a formula: a customer named "=HYPERLINK(…)" must stay text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def exact_amount(amount: Decimal | None, currency: str) -> str:
    """`1234.50`: the stored value in the currency's minor unit when that loses nothing (totals always fit),
    otherwise every stored digit. Never through float."""
    if amount is None:
        return ""
    try:
        minor = amount.quantize(quantum(currency))
    except UnknownCurrency:
        return format(amount, "f")
    return format(minor if minor == amount else amount.normalize(), "f")


def text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _label(choices: list[tuple[str, Any]]) -> Callable[[str], str]:
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value)


# Each column reads one field of a `.values()` row: no model instances, no JSON fields decoded, for speed at volume.
Row = dict[str, Any]
_status, _kind = _label(InvoiceStatus.choices), _label(ProviderKind.choices)
_type, _sync = _label(InvoiceType.choices), _label(SyncState.choices)


def _amount(name: str) -> Callable[[Row, tzinfo], str]:
    return lambda row, tz: exact_amount(row[name], row["currency"])


def _text(name: str) -> Callable[[Row, tzinfo], str]:
    return lambda row, tz: text(row[name])


def _moment(name: str) -> Callable[[Row, tzinfo], str]:
    return lambda row, tz: row[name].astimezone(tz).isoformat(timespec="seconds") if row[name] else ""


COLUMNS: tuple[tuple[str, str, Callable[[Row, tzinfo], str]], ...] = (
    ("Number", "number", _text("number")),
    ("Status", "status", lambda row, tz: _status(row["status"])),
    ("Provider", "account__name", _text("account__name")),
    ("Provider kind", "account__kind", lambda row, tz: _kind(row["account__kind"])),
    ("Type", "invoice_type", lambda row, tz: _type(row["invoice_type"])),
    ("Customer", "customer_name", _text("customer_name")),
    ("Customer email", "customer_email", _text("customer_email")),
    ("Customer ref", "customer_ref", _text("customer_ref")),
    ("Currency", "currency", lambda row, tz: row["currency"]),
    ("Subtotal", "subtotal", _amount("subtotal")),
    ("Discount", "discount", _amount("discount")),
    ("Tax", "tax", _amount("tax")),
    ("Total", "total", _amount("total")),
    ("Issue date", "issue_date", lambda row, tz: day(row["issue_date"])),
    ("Due date", "due_date", lambda row, tz: day(row["due_date"])),
    ("Paid at", "paid_at", _moment("paid_at")),
    ("Voided at", "voided_at", _moment("voided_at")),
    ("Sync", "sync_state", lambda row, tz: _sync(row["sync_state"])),
    ("Provider id", "remote_id", _text("remote_id")),
    ("Provider number", "remote_number", _text("remote_number")),
    ("Created at", "created_at", _moment("created_at")),
)
FIELDS = tuple(field for _, field, _ in COLUMNS)


class _Echo:
    """csv.writer writes to this and gets the line back, for the response to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    tz = timezone.get_current_timezone()
    # The byte order mark makes spreadsheet programs read the file as UTF-8 (customer names are not all ASCII).
    yield "\ufeff" + writer.writerow([title for title, _, _ in COLUMNS])
    for row in rows:
        yield writer.writerow([value(row, tz) for _, _, value in COLUMNS])


def export_url(changelist: ChangeList) -> str:
    """The export of what `changelist` shows: its query string, without the page number (the export has them all)."""
    return reverse("admin:invoices_invoice_export") + changelist.get_query_string(remove=[PAGE_VAR])


def export_view(model_admin: ModelAdmin[Invoice], request: HttpRequest) -> HttpResponseBase:
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    try:
        # The list's own machinery reads the filters, so the file always matches the screen it was asked from.
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return HttpResponseRedirect(f"{reverse('admin:invoices_invoice_changelist')}?{ERROR_FLAG}=1")
    rows = changelist.queryset.values(*FIELDS).iterator(chunk_size=CHUNK_SIZE)
    logger.info("invoice list exported as CSV by %s (filters: %s)", request.user, request.GET.urlencode() or "none")
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = f"invoices-{timezone.localtime():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def export_context(changelist: Any) -> dict[str, Any]:
    if not isinstance(changelist, ChangeList):
        return {}
    return {"export_url": export_url(changelist), "export_count": changelist.result_count}
