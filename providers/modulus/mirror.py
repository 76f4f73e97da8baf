"""The modulus mirror's vocabulary: the "Update Invoice" request (`PATCH /api/inv/v1/Invoice?token=…` with
`customer_details`) validated as modulus validates it, read into our intent, and modulus' envelope
`{result, title, message, object}` for success, errors and accepted-and-queued answers.

Pure functions over plain data: no database, no HTTP. Where modulus' pages are silent (an unknown invoice id, a
number that does not name the id) the answers are those of the sandbox emulator: 400 without an error code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .adapter import FUTURE_VOID_DATE
from .payloads import VOID_DATE_FORMAT
from .status import FROM_MODULUS, SENT, VOID

# modulus' invoicing error codes (documented table) used by this endpoint.
INVALID_STATUS = 5505
MISSING_STATUS = 5526

TOKEN_REQUIRED = "Authorization token required."  # the common 400 of every modulus API call without a token
INVALID_TOKEN = "Invalid or expired token."  # the common 401
SUCCESS_MESSAGE = "Invoice Status changed successfully"
ACCEPTED_MESSAGE = "Invoice Status change accepted and queued"
TITLES = {401: "Unauthorized", 403: "Forbidden"}


class Refusal(Exception):
    """A request modulus would refuse: HTTP status, message, and its error code when modulus gives one."""

    def __init__(self, status: int, message: str, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class StatusUpdate:
    """The request in our terms: which invoice (modulus' id and number) and the status it moves to."""

    invoice_id: str  # modulus' id, as digits
    status: str  # ours: open or void
    invoice_number: str  # trimmed: the documentation's own example pads it with spaces
    raw_void_date: Any = None  # as sent; only read for STATUS_VOID (example 1 sends one with STATUS_SENT)


def read_body(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise Refusal(400, "The body is not UTF-8.") from None
    except ValueError:
        raise Refusal(400, "The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise Refusal(400, "The request body must be a JSON object.")
    return document


def read_update(document: dict[str, Any]) -> StatusUpdate:
    """`customer_details` checked in modulus' order: the id, the status (5526, 5505), then the number."""
    details = document.get("customer_details")
    if not isinstance(details, dict):
        raise Refusal(400, "Missing customer_details.")
    invoice_id = _invoice_id(details.get("invoice_id"))
    status = details.get("status")
    if not status:
        raise Refusal(400, "Missing status.", MISSING_STATUS)
    if status not in (SENT, VOID):
        raise Refusal(400, "Invalid status.", INVALID_STATUS)
    number = details.get("invoice_number")
    if not isinstance(number, str) or not number.strip():
        raise Refusal(400, "Missing invoice number.")
    return StatusUpdate(
        invoice_id=invoice_id,
        status=FROM_MODULUS[status],
        invoice_number=number.strip(),
        raw_void_date=details.get("void_date") if status == VOID else None,
    )


def _invoice_id(value: Any) -> str:
    # The page says Int; its own examples send "35". Both are accepted, as modulus does.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value.strip()))
    raise Refusal(400, "Invalid invoice id.")


def void_date(update: StatusUpdate, now: datetime) -> str | None:
    """The void date to keep ("YYYY-MM-DD HH:MM:SS", UTC as modulus reads it), or None when none was sent;
    a date in the future is refused with modulus' own message."""
    if update.raw_void_date in (None, ""):
        return None
    text = str(update.raw_void_date).strip()
    try:
        when = datetime.strptime(text, VOID_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise Refusal(400, "Invalid void date.") from None
    if when > now.astimezone(UTC):
        raise Refusal(400, FUTURE_VOID_DATE)
    return text


# -- answers -------------------------------------------------------------------------------------------------
def envelope(result: bool, title: str, message: str, obj: Any = None) -> dict[str, Any]:
    return {"result": result, "title": title, "message": message, "object": obj}


def success(answer: Any = None) -> dict[str, Any]:
    """modulus' own answer when it gave one (it is the caller's answer), else the documented success."""
    if isinstance(answer, dict) and answer.get("result") is True and "message" in answer:
        return dict(answer)
    return {"result": True, "title": "Success", "message": SUCCESS_MESSAGE}


def accepted(delivery_id: int) -> dict[str, Any]:
    return envelope(True, "Accepted", ACCEPTED_MESSAGE, {"delivery_id": delivery_id})


def error(status: int, message: str, error_code: int | None = None, *, title: str = "") -> dict[str, Any]:
    """modulus' error envelope; `object` carries the error code when modulus gives one, else null."""
    obj = {"error_code": error_code} if error_code is not None else None
    return envelope(False, title or TITLES.get(status, "Error"), message, obj)


def error_code(code: str) -> int | None:
    """A provider or mirror code as modulus' numeric error_code, when it is one."""
    return int(code) if code.isdigit() else None
