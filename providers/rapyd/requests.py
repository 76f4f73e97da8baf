"""Rapyd's request rules for its invoice endpoints: the body, the fields each request may set and the values
they take, and when an invoice may be updated at all, each refused with Rapyd's error code and message.

One copy for both sides: the sandbox emulator refuses a request by these rules, and the back-office's mirror of
`POST /v1/invoices/{invoice}` refuses it by the very same ones, in the same order. Pure functions: no I/O, no
models.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from invoices.currencies import is_known
from providers.jsonnumbers import loads_decimal
from providers.validation import is_int, is_number

from .payloads import STATEMENT_DESCRIPTOR_MAX

UNAUTHENTICATED = "UNAUTHENTICATED_API_CALL"
NOT_FOUND = "ERROR_GET_INVOICE"
NOT_DRAFT = "ERROR_UPDATE_NOT_DRAFT_INVOICE"
PAYOUT = "ERROR_UPDATE_PAYOUT_INVOICE"

UPDATABLE = frozenset(
    {
        "days_until_due",
        "due_date",
        "description",
        "metadata",
        "payment_fields",
        "statement_descriptor",
        "tax_percent",
    }
)
CREATABLE = UPDATABLE | {"customer", "currency", "lines", "billing", "payment_method"}

# What each field accepts, and how Rapyd words it ("<field> must be <what>."). Create's `lines` are read with
# the invoice they build, by the emulator.
FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "days_until_due": (lambda v: is_int(v) and v >= 0, "a whole number"),
    "due_date": (lambda v: is_int(v) and v > 0, "Unix seconds"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "metadata": (lambda v: isinstance(v, dict), "an object"),
    "payment_fields": (lambda v: v is None or isinstance(v, dict), "an object"),
    "statement_descriptor": (
        lambda v: isinstance(v, str) and len(v) <= STATEMENT_DESCRIPTOR_MAX,
        f"a string of at most {STATEMENT_DESCRIPTOR_MAX} characters",
    ),
    "tax_percent": (lambda v: is_number(v) and 0 <= v <= 100, "a number from 0 to 100"),
    "customer": (lambda v: isinstance(v, str) and v.startswith("cus_"), "a customer id (cus_…)"),
    "currency": (is_known, "an ISO 4217 code"),
    "billing": (lambda v: v in ("pay_automatically", "send_invoice"), "pay_automatically or send_invoice"),
    "payment_method": (lambda v: isinstance(v, str), "a payment method id"),
}


class RequestError(ValueError):
    """A request Rapyd would refuse: the HTTP status, Rapyd's error code and its message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(name: str, message: str) -> RequestError:
    """A field's value refused: Rapyd's code names the field."""
    return RequestError(400, f"INVALID_{name.upper()}", message)


def parse_body(text: str, *, required: bool = False) -> dict[str, Any]:
    """The body: an empty one sets nothing (where a body is optional), anything else must be a JSON object."""
    if not text.strip():
        if required:
            raise RequestError(400, "INVALID_BODY", "A JSON body is required.")
        return {}
    try:
        body = loads_decimal(text)
    except ValueError:
        raise RequestError(400, "INVALID_JSON", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise RequestError(400, "INVALID_BODY", "The body must be a JSON object.")
    return body


def check_updatable(invoice_type: Any, status: Any) -> None:
    """Rapyd updates only payment invoices, and only while they are draft (checked before the fields)."""
    if invoice_type == "payout":
        raise RequestError(400, PAYOUT, "The invoice is not a payment invoice.")
    if status != "draft":
        raise RequestError(400, NOT_DRAFT, "The invoice is not draft. Can only update draft invoice.")


def check_fields(body: Mapping[str, Any], allowed: Collection[str] = UPDATABLE) -> None:
    """Only the fields the request may set, each with a value Rapyd accepts; the first refused one is named."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RequestError(400, "INVALID_FIELDS", f"Unknown field(s): {', '.join(unknown)}.")
    for name, value in body.items():
        if name in FIELD_CHECKS:
            accepts, what = FIELD_CHECKS[name]
            if not accepts(value):
                raise invalid(name, f"{name} must be {what}.")
