"""VTEX's request rules for the OMS invoice endpoints (`POST …/orders/{orderId}/invoice` and `PATCH
…/invoice/{invoiceNumber}`): the fields each body requires, and the type and format of each field, refused with
VTEX's messages.

One copy for both sides: the sandbox emulator refuses a request by these rules, and the back-office's mirror of
the endpoints refuses it by the very same ones (adding the limits of our own records, which VTEX does not know).
What VTEX enforces is a little looser than its OpenAPI file: optional texts may be null or empty, and `type` is
read without regard to case. Pure functions: no I/O, no models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from providers.validation import is_int

from .payloads import INPUT, OUTPUT

REQUIRED = ("type", "issuanceDate", "invoiceNumber", "invoiceValue", "items")
TRACKING_REQUIRED = ("trackingNumber", "trackingUrl", "courier", "dispatchedDate")


class RequestRefused(ValueError):
    """A request VTEX would refuse: the HTTP status and VTEX's message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def body_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RequestRefused("The request body must be a JSON object.")
    return body


def require_notification(body: Mapping[str, Any]) -> None:
    """An invoice notification names every REQUIRED field, none of them null or empty."""
    missing = [name for name in REQUIRED if body.get(name) is None or body.get(name) == ""]
    if missing:
        raise RequestRefused(f"Required field(s) missing: {', '.join(missing)}.")


def require_tracking(body: Mapping[str, Any]) -> None:
    """A tracking update carries all four TRACKING_REQUIRED fields, though all but trackingNumber may be null."""
    missing = [name for name in TRACKING_REQUIRED if name not in body]
    if missing:
        raise RequestRefused(f"Required field(s) missing: {', '.join(missing)}.")


def text(body: Mapping[str, Any], name: str, *, required: bool = False, where: str = "") -> str | None:
    """A text field: None when null (or empty, where optional); `where` prefixes the name in the message."""
    value = body.get(name)
    label = f"{where}{name}"
    if value is None or (value == "" and not required):
        if required:
            raise RequestRefused(f"{label} is required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise RequestRefused(f"{label} must be {'a non-empty' if required else 'a'} string.")
    return value


def instant(body: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 date and time (a date alone is refused); naive when sent without an offset."""
    value = text(body, name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RequestRefused(f"{name} must be an ISO 8601 date and time.") from None
    if len(value) <= len("2019-01-31"):
        raise RequestRefused(f"{name} must carry a time as well as a date.")
    return parsed


def invoice_type(value: Any) -> str:
    """Output (a sale) or Input (a return), in any case."""
    kind = value.capitalize() if isinstance(value, str) else ""
    if kind not in (OUTPUT, INPUT):
        raise RequestRefused("type must be Output or Input.")
    return kind


def cents(value: Any) -> int:
    """`invoiceValue`: a string of cents, digits only."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or int(value) <= 0:
        raise RequestRefused("invoiceValue must be a string of cents greater than 0, without separators.")
    return int(value)


def items_array(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise RequestRefused("items must be an array.")
    return value


def item_object(index: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RequestRefused(f"items[{index}] must be an object.")
    return item


def sku(item: Mapping[str, Any], where: str) -> str:
    value = item.get("id")
    if not isinstance(value, str) or not value:
        raise RequestRefused(f"{where}id must be the SKU id as a string.")
    return value


def whole(value: Any, label: str, low: int) -> int:
    """An item's integer (`price` in cents per unit, `quantity`), at least `low`."""
    if not is_int(value) or value < low:
        raise RequestRefused(f"{label} must be an integer of at least {low}.")
    return int(value)
