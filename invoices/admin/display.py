"""How money, statuses and provider exchanges look in the admin: amounts in their currency's minor unit,
statuses as badges, request and response bodies pretty-printed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

from invoices.currencies import UnknownCurrency, minor_units
from invoices.lifecycle import InvoiceStatus
from invoices.models import DeliveryState, EmailState
from invoices.money import round_money
from providers.jsonnumbers import decimal_literal

# Text colour, background. The label is always written out: the colour helps the eye, never carries meaning.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    InvoiceStatus.DRAFT: ("#3d3d3d", "#e6e6e6"),
    InvoiceStatus.OPEN: ("#0b4f8a", "#d8e9f8"),
    InvoiceStatus.PAID: ("#1b5e2c", "#d9f0de"),
    InvoiceStatus.UNCOLLECTIBLE: ("#7a3e00", "#fbe3c4"),
    InvoiceStatus.VOID: ("#ffffff", "#666666"),
    InvoiceStatus.REFUNDED: ("#4f2577", "#e8dcf4"),
}


DELIVERY_STATE_COLOURS: dict[str, tuple[str, str]] = {
    DeliveryState.PENDING: ("#0b4f8a", "#d8e9f8"),
    DeliveryState.SENDING: ("#5c4a00", "#fff1b8"),
    DeliveryState.SUCCEEDED: ("#1b5e2c", "#d9f0de"),
    DeliveryState.FAILED: ("#ffffff", "#b3261e"),
    DeliveryState.DEAD: ("#ffffff", "#5a1a16"),
    DeliveryState.CANCELLED: ("#3d3d3d", "#e6e6e6"),
}

EMAIL_STATE_COLOURS: dict[str, tuple[str, str]] = {
    EmailState.QUEUED: ("#0b4f8a", "#d8e9f8"),
    EmailState.SENDING: ("#5c4a00", "#fff1b8"),
    EmailState.SENT: ("#1b5e2c", "#d9f0de"),
    EmailState.FAILED: ("#ffffff", "#b3261e"),
    EmailState.UNCERTAIN: ("#7a3e00", "#fbe3c4"),
}


def badge(css_class: str, colours: tuple[str, str], label: str) -> SafeString:
    fg, bg = colours
    return format_html(
        '<span class="status-badge {}" style="color:{};background:{};padding:2px 8px;'
        'border-radius:10px;white-space:nowrap;font-weight:600">{}</span>',
        css_class,
        fg,
        bg,
        label,
    )


def delivery_state_badge(state: str) -> SafeString:
    try:
        label = str(DeliveryState(state).label)
    except ValueError:
        label = state
    return badge(f"delivery-{state}", DELIVERY_STATE_COLOURS.get(state, ("#000000", "#ffffff")), label)


def email_state_badge(state: str) -> SafeString:
    try:
        label = str(EmailState(state).label)
    except ValueError:
        label = state
    return badge(f"email-{state}", EMAIL_STATE_COLOURS.get(state, ("#000000", "#ffffff")), label)


def status_label(status: str) -> str:
    try:
        return str(InvoiceStatus(status).label)
    except ValueError:
        return status


def status_badge(status: str) -> SafeString:
    fg, bg = STATUS_COLOURS.get(status, ("#000000", "#ffffff"))
    return format_html(
        '<span class="status-badge status-{}" style="color:{};background:{};padding:2px 8px;'
        'border-radius:10px;white-space:nowrap;font-weight:600">{}</span>',
        status,
        fg,
        bg,
        status_label(status),
    )


def format_money(amount: Decimal | None, currency: str) -> str:
    """`1,234.50 EUR`: rounded half-up to the currency's minor unit, the way the totals were computed."""
    if amount is None:
        return ""
    try:
        digits = minor_units(currency)
    except UnknownCurrency:
        return f"{amount} {currency}"
    return f"{round_money(amount, currency):,.{digits}f} {currency}"


def pretty_body(body: str) -> str:
    """A JSON body indented for reading, its numbers exactly as sent; any other body as it is."""
    stripped = body.strip()
    if stripped[:1] not in ("{", "["):
        return body
    try:
        parsed = json.loads(stripped, parse_float=Decimal)
    except ValueError:
        return body
    return _indented(parsed, 0)


def _indented(value: Any, depth: int) -> str:
    # json.dumps(indent=2) would write a Decimal through float (or as a string): amounts must read as sent.
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, Mapping) and value:
        items = (
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_indented(v, depth + 1)}" for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"{inner}{_indented(v, depth + 1)}" for v in value) + f"\n{pad}]"
    if isinstance(value, Decimal):
        return decimal_literal(value) if value.is_finite() else json.dumps(str(value))
    return json.dumps(value, ensure_ascii=False)


def header_lines(headers: Mapping[str, Any]) -> str:
    """Headers one per line, as they appear on the wire."""
    return "\n".join(f"{name}: {value}" for name, value in headers.items())
