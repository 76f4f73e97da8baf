"""The generic invoicing API's request rules for `PUT /api/v1/Invoice/Update`, as its model binder applies them.

One copy for both sides of the API: the sandbox emulator refuses a body with these lines, and the back-office's
mirror of the endpoint refuses it with the very same ones. Pure functions: no I/O, no models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from providers.jsonnumbers import loads_decimal
from providers.validation import is_int, is_number, is_uuid

VALIDATION_MESSAGE = "One or more validation errors occurred."
INVALID_JSON_MESSAGE = "The request body is not valid JSON."

LIST_FIELDS = ("paymentMethods", "notification", "beforeDueDates", "afterDueDates")
BOOL_FIELDS = ("recuringInvoice", "onDueDate")
TEXT_FIELDS = ("counterPartyName", "accountName", "description", "status")


def read_body(text: str) -> Any:
    """The body as JSON, numbers exact; an empty body binds no model at all (None). ValueError when the text is
    not JSON (answered with INVALID_JSON_MESSAGE)."""
    return loads_decimal(text) if text.strip() else None


def date_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time as the binder reads it ("Z" for UTC included); None when the value is not one."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def validate(body: Any) -> list[str]:
    """The model binder's complaints as `$.path: reason` lines (none when the body is valid)."""
    if not isinstance(body, dict):
        return ["$: the body must be a JSON object (UpdateInvoice)."]
    problems: list[str] = []
    if body.get("id") in (None, ""):
        problems.append("$.id: the id field is required.")
    elif not is_uuid(body["id"]):
        problems.append("$.id: a uuid is required.")
    for name in ("counterPartyId", "receivingAccountId"):
        if not is_uuid(body.get(name)):
            problems.append(f"$.{name}: a uuid is required.")
    for name in TEXT_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            problems.append(f"$.{name}: a string is required.")
    if body.get("dueDate") is not None and date_time(body["dueDate"]) is None:
        problems.append("$.dueDate: a date-time (ISO 8601) is required.")
    if "currency" not in body:
        problems.append("$.currency: the currency field is required.")
    for name in ("currency", "billingCycle"):
        if name in body and not is_int(body[name]):
            problems.append(f"$.{name}: an integer is required.")
    for name in BOOL_FIELDS:
        if name in body and not isinstance(body[name], bool):
            problems.append(f"$.{name}: true or false is required.")
    for name in LIST_FIELDS:
        value = body.get(name, [])
        if not isinstance(value, list) or not all(is_int(v) for v in value):
            problems.append(f"$.{name}: a list of integers is required.")
    problems += _validate_rows(body.get("products", []), "products")
    problems += _validate_rows(body.get("taxes", []), "taxes")
    discount = body.get("discount")
    if discount is not None and (
        not isinstance(discount, dict)
        or not is_int(discount.get("discountType"))
        or not is_number(discount.get("discountValue"))
        or discount["discountValue"] < 0
    ):
        problems.append("$.discount: an integer discountType and a discountValue of at least 0 are required.")
    return problems


def _validate_rows(rows: Any, name: str) -> list[str]:
    if not isinstance(rows, list):
        return [f"$.{name}: a list is required."]
    problems = []
    for index, row in enumerate(rows):
        where = f"$.{name}[{index}]"
        if not isinstance(row, dict):
            problems.append(f"{where}: an object is required.")
            continue
        if name == "products":
            if not is_uuid(row.get("productId")):
                problems.append(f"{where}.productId: a uuid is required.")
            if not is_int(row.get("quantity")) or row["quantity"] <= 0:
                problems.append(f"{where}.quantity: an integer greater than 0 is required.")
            if not is_number(row.get("unitPrice")) or row["unitPrice"] < 0:
                problems.append(f"{where}.unitPrice: a number of at least 0 is required.")
        else:
            if not is_uuid(row.get("taxId")):
                problems.append(f"{where}.taxId: a uuid is required.")
            if not is_number(row.get("taxPercentageValue")):
                problems.append(f"{where}.taxPercentageValue: a number is required.")
    return problems
