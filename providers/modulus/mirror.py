"""The modulus mirror's vocabulary: the "Update Invoice" request (`PATCH /api/inv/v1/Invoice?token=…` with
`customer_details`) validated as modulus validates it (requests.py, the rules the sandbox emulator applies too),
read into our intent, and modulus' envelope `{result, title, message, object}` for success, errors and
accepted-and-queued answers.

Pure functions over plain data: no database, no HTTP. Where modulus' pages are silent (an unknown invoice id, a
number that does not name the id) the answers are those of the sandbox emulator: 400 without an error code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import requests
from .requests import INVALID_STATUS as INVALID_STATUS
from .requests import MISSING_STATUS as MISSING_STATUS
from .requests import Refusal as Refusal
from .status import FROM_MODULUS, VOID

TOKEN_REQUIRED = "Authorization token required."  # the common 400 of every modulus API call without a token
INVALID_TOKEN = "Invalid or expired token."  # the common 401
SUCCESS_MESSAGE = "Invoice Status changed successfully"
ACCEPTED_MESSAGE = "Invoice Status change accepted and queued"
TITLES = {401: "Unauthorized", 403: "Forbidden"}


@dataclass(frozen=True)
class StatusUpdate:
    """The request in our terms: which invoice (modulus' id and number) and the status it moves to."""

    invoice_id: str  # modulus' id, as digits
    status: str  # ours: open or void
    invoice_number: str  # trimmed: the documentation's own example pads it with spaces
    raw_void_date: Any = None  # as sent; only read for STATUS_VOID (example 1 sends one with STATUS_SENT)


def read_body(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "The body is not UTF-8.") from None
    return requests.read_body(text)


def read_update(document: dict[str, Any]) -> StatusUpdate:
    """`customer_details` checked as modulus checks them (requests.py), in our terms."""
    update = requests.read_update(document)
    return StatusUpdate(
        invoice_id=str(update.invoice_id),
        status=FROM_MODULUS[update.status],
        invoice_number=update.invoice_number,
        raw_void_date=update.void_date if update.status == VOID else None,
    )


def void_date(update: StatusUpdate, now: datetime) -> str | None:
    """The void date to keep ("YYYY-MM-DD HH:MM:SS", UTC as modulus reads it), or None when none was sent;
    a date in the future is refused with modulus' own message."""
    return requests.void_date(update.raw_void_date, now)


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
