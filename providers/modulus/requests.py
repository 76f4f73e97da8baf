"""modulus' rules for the "Update Invoice" request (`PATCH /api/inv/v1/Invoice?token=…` with `customer_details`):
the body, then the details in modulus' order (the id, the status, the number) and the void date, each refused
with modulus' message and, where its invoicing error table has one, its error code.

One copy for both sides: the sandbox emulator refuses an update by these rules, and the back-office's mirror of
the endpoint refuses it by the very same ones. Pure functions: no I/O, no models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from providers.validation import is_int

from .payloads import VOID_DATE_FORMAT
from .status import SENT, VOID

# modulus' invoicing error codes (documented table) used by this request.
INVALID_STATUS = 5505
MISSING_STATUS = 5526

FUTURE_VOID_DATE = "The void date cannot be in the future."


class Refusal(Exception):
    """A request modulus would refuse: HTTP status, message, and its error code when modulus gives one."""

    def __init__(self, status: int, message: str, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class UpdateRequest:
    """The customer_details of an update modulus accepts, in modulus' terms."""

    invoice_id: int
    status: str  # STATUS_SENT or STATUS_VOID
    invoice_number: str  # trimmed: the documentation's own example pads it with spaces
    void_date: Any = None  # as sent


def read_body(text: str) -> dict[str, Any]:
    """The body: a JSON object, numbers exact."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except ValueError:
        raise Refusal(400, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise Refusal(400, "The request body must be a JSON object.")
    return document


def read_update(document: dict[str, Any]) -> UpdateRequest:
    """`customer_details` checked in modulus' order: the id, the status (5526, 5505), then the number."""
    details = document.get("customer_details")
    if not isinstance(details, dict):
        raise Refusal(400, "Missing customer_details.")
    invoice_id = read_invoice_id(details.get("invoice_id"))
    status = details.get("status")
    if not status:
        raise Refusal(400, "Missing status.", MISSING_STATUS)
    if status not in (SENT, VOID):
        raise Refusal(400, "Invalid status.", INVALID_STATUS)
    number = details.get("invoice_number")
    if not isinstance(number, str) or not number.strip():
        raise Refusal(400, "Missing invoice number.")
    return UpdateRequest(
        invoice_id=invoice_id, status=status, invoice_number=number.strip(), void_date=details.get("void_date")
    )


def read_invoice_id(value: Any) -> int:
    # The page says Int; its own examples send "35". Both are accepted, as modulus does.
    if is_int(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise Refusal(400, "Invalid invoice id.")


def void_date(value: Any, now: datetime) -> str | None:
    """The void date as sent ("YYYY-MM-DD HH:MM:SS", UTC as modulus reads it), trimmed; None when none was sent.
    A date in the future is refused with modulus' own message."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        when = datetime.strptime(text, VOID_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise Refusal(400, "Invalid void date.") from None
    if when > now.astimezone(UTC):
        raise Refusal(400, FUTURE_VOID_DATE)
    return text
