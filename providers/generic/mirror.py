"""The generic invoicing API's `PUT /api/v1/Invoice/Update` as the back-office's mirror receives it. Pure
functions: no I/O, no models.

The body is validated as the API's model binder validates it, by the rules the sandbox emulator applies too
(requests.py: the same `$.path: reason` lines), then mapped back to our invoice with the same conventions the
adapter writes it with (payloads.py): the currency through the account's `currency_codes`, products as lines
(our SKU kept where `productIds` maps it), taxes as every line's tax rate, the discount as a fixed amount, the
integer enums kept in `provider_fields` as given, and the optional `status` word through status.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from providers.base import InvoiceData, LineData

from .payloads import DEFAULT_CURRENCY_CODES, DEFAULT_FIXED_DISCOUNT_TYPE, ENUM_DEFAULTS
from .requests import INVALID_JSON_MESSAGE, date_time, read_body
from .requests import VALIDATION_MESSAGE as VALIDATION_MESSAGE
from .requests import validate as validate
from .status import from_generic, status_words

SUCCESS_MESSAGE = "Invoice updated successfully."
QUEUED_MESSAGE = "Accepted and queued for delivery"
HELD_MESSAGE = "Accepted; the delivery stopped and waits for the back-office: {reason}"
NOT_FOUND_MESSAGE = "Invoice not found."
UNAUTHORIZED_MESSAGE = "Unauthorized."
FORBIDDEN_MESSAGE = "Forbidden."

HUNDRED = Decimal(100)


class RequestError(ValueError):
    """A request the API refuses: the HTTP status, its message and the list of errors."""

    def __init__(self, status: int, message: str, errors: Sequence[str]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)


def invalid(*problems: str) -> RequestError:
    return RequestError(400, VALIDATION_MESSAGE, problems)


# -- the request -------------------------------------------------------------------------------------------------
def parse_body(body: bytes) -> Any:
    """The body as JSON (numbers exact); an empty body is no model at all, as for the API's binder."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, INVALID_JSON_MESSAGE, ["The request body is not UTF-8."]) from None
    try:
        return read_body(text)
    except ValueError:
        raise RequestError(400, INVALID_JSON_MESSAGE, [INVALID_JSON_MESSAGE]) from None


# -- the request in our terms ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpdateIntent:
    """What an accepted UpdateInvoice asks of our invoice: fields for invoice_update, its lines (None when they
    are the ones we hold), and the status its optional `status` word names (None when it names none)."""

    fields: dict[str, Any]
    lines: list[dict[str, Any]] | None
    status: str | None = None


def _stored_number(value: Decimal | int) -> int | str:
    """A number kept in provider_fields: JSON has no Decimal, so its exact text (payloads.as_decimal reads both)."""
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else str(value)


def currency_of(code: int, settings: Mapping[str, Any]) -> str | None:
    """Our ISO code for the API's currency number, through the mapping the adapter writes it with."""
    codes: Mapping[str, Any] = settings.get("currency_codes") or DEFAULT_CURRENCY_CODES
    return next((iso for iso, number in codes.items() if number == code), None)


def due_date_of(value: Any) -> date | None:
    """The due date as written in the date-time (the adapter sends our date at midnight, without a zone)."""
    parsed = date_time(value)
    return parsed.date() if parsed is not None else None


def tax_rate_of(taxes: Sequence[Mapping[str, Any]]) -> Decimal:
    """Every tax applies to the whole invoice: each line carries their sum as its rate."""
    return sum((Decimal(tax["taxPercentageValue"]) for tax in taxes), Decimal(0))


def lines_of(
    products: Sequence[Mapping[str, Any]], taxes: Sequence[Mapping[str, Any]], invoice: InvoiceData
) -> list[dict[str, Any]]:
    """Products as our lines. A product the invoice maps from one of our SKUs (provider_fields["productIds"])
    keeps that SKU and its description; any other is known by its productId."""
    product_ids: Mapping[str, str] = invoice.provider_fields.get("productIds") or {}
    sku_of = {str(pid).lower(): sku for sku, pid in product_ids.items()}
    descriptions = {line.sku: line.description for line in invoice.lines}
    rate = tax_rate_of(taxes)
    built = []
    for product in products:
        product_id = str(product["productId"])
        sku = sku_of.get(product_id.lower(), product_id)
        built.append(
            {
                "sku": sku,
                "description": descriptions.get(sku, ""),
                "quantity": Decimal(product["quantity"]),
                "unit_price": Decimal(product["unitPrice"]),
                "tax_rate": rate,
            }
        )
    return built


def _same_lines(current: Sequence[LineData], wanted: Sequence[Mapping[str, Any]]) -> bool:
    keys = ("sku", "description", "quantity", "unit_price", "tax_rate")
    held = [tuple(getattr(line, k) for k in keys) for line in current]
    return held == [tuple(line[k] for k in keys) for line in wanted]


def intent(body: Mapping[str, Any], invoice: InvoiceData, settings: Mapping[str, Any]) -> UpdateIntent:
    """A validated UpdateInvoice as our fields. Raises RequestError (400) for what cannot be said in our terms:
    a currency number the account does not map, a discount type other than the fixed amount, a status word
    nobody configured, taxes adding up to more than 100 %."""
    problems: list[str] = []
    currency = currency_of(body["currency"], settings)
    if currency is None:
        problems.append(
            f"$.currency: {body['currency']} is not a currency this account maps (settings currency_codes)."
        )
    fixed_type = settings.get("fixed_discount_type", DEFAULT_FIXED_DISCOUNT_TYPE)
    discount = body.get("discount") or {"discountType": fixed_type, "discountValue": Decimal(0)}
    if discount["discountType"] != fixed_type and discount["discountValue"] != 0:
        problems.append(
            f"$.discount.discountType: only type {fixed_type} (a fixed amount off the invoice) is accepted; "
            f"the meaning of type {discount['discountType']} is not configured."
        )
    taxes = body.get("taxes") or []
    if tax_rate_of(taxes) > HUNDRED:
        problems.append("$.taxes: the tax percentages add up to more than 100.")
    status = None
    word = body.get("status")
    if word is not None:
        status = from_generic(word, settings.get("status_words"))
        if status is None:
            known = ", ".join(status_words(settings.get("status_words")).values())
            problems.append(f"$.status: unknown status {word!r}; use one of {known}.")
    if problems or currency is None:
        raise invalid(*problems)

    provider_fields = dict(invoice.provider_fields)
    provider_fields["taxes"] = [
        {"taxId": tax["taxId"], "taxPercentageValue": _stored_number(tax["taxPercentageValue"])} for tax in taxes
    ]
    provider_fields["discountType"] = discount["discountType"]
    if body.get("accountName") is not None:
        provider_fields["accountName"] = body["accountName"]
    if isinstance(provider_fields.get("currency"), int):
        provider_fields["currency"] = body["currency"]  # the adapter sends this number when the invoice has one
    for name in ENUM_DEFAULTS:
        # A full replace: a member left out binds the model's default, so it no longer holds ours.
        if name in body:
            provider_fields[name] = body[name]
        else:
            provider_fields.pop(name, None)

    fields: dict[str, Any] = {
        "customer_ref": body["counterPartyId"],
        "receiving_account_ref": body["receivingAccountId"],
        "due_date": due_date_of(body.get("dueDate")),
        "currency": currency,
        "discount": Decimal(discount["discountValue"]),
        "description": body.get("description") or "",
        "provider_fields": provider_fields,
    }
    if body.get("counterPartyName"):  # our invoices always name their customer
        fields["customer_name"] = body["counterPartyName"]
    lines = lines_of(body.get("products") or [], taxes, invoice)
    return UpdateIntent(fields=fields, lines=None if _same_lines(invoice.lines, lines) else lines, status=status)


# Our field names, as the JSON path of the member that sets them.
JSON_PATHS = {
    "customer_name": "$.counterPartyName",
    "customer_ref": "$.counterPartyId",
    "receiving_account_ref": "$.receivingAccountId",
    "due_date": "$.dueDate",
    "currency": "$.currency",
    "discount": "$.discount.discountValue",
    "description": "$.description",
    "provider_fields": "$",
}
LINE_PATHS = {"sku": "productId", "quantity": "quantity", "unit_price": "unitPrice", "tax_rate": "taxes"}
_LINE_ERROR = re.compile(r"^line (\d+): (\w+): (.*)$")


def problem_lines(errors: Mapping[str, Sequence[str]] | Sequence[str]) -> list[str]:
    """Our validation messages (by field, or "line N: field: reason") as `$.path: reason` lines."""
    if isinstance(errors, Mapping):
        return [f"{JSON_PATHS.get(name, '$')}: {message}" for name, messages in errors.items() for message in messages]
    problems = []
    for message in errors:
        match = _LINE_ERROR.match(message)
        if match is None:
            problems.append(f"$: {message}")
            continue
        index, name, reason = int(match[1]) - 1, match[2], match[3]
        member = LINE_PATHS.get(name, name)
        problems.append(f"$.taxes: {reason}" if member == "taxes" else f"$.products[{index}].{member}: {reason}")
    return problems


def status_problem(
    from_status: str, to_status: str, allowed: Iterable[str], settings: Mapping[str, Any], detail: str = ""
) -> str:
    """An illegal status move, in the API's words: both statuses, and where the invoice may go instead."""
    words = status_words(settings.get("status_words"))
    move = f"$.status: the invoice cannot go from {words.get(from_status, from_status)} to {words.get(to_status)}"
    targets = ", ".join(words[t] for t in sorted(allowed) if t in words)
    reason = detail or (f"allowed from there: {targets}" if targets else "its status is final")
    return f"{move} ({reason})."


# -- the answers -------------------------------------------------------------------------------------------------
def envelope(succeeded: bool, message: str, errors: Sequence[str], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The API's result envelope (CreateInvoiceResponseResponse)."""
    return {"succeeded": succeeded, "message": message, "errors": list(errors), "data": dict(data) if data else None}


def error_envelope(message: str, errors: Sequence[str] = ()) -> dict[str, Any]:
    return envelope(False, message, list(errors) or [message], None)


def is_envelope(parsed: Any) -> bool:
    return isinstance(parsed, dict) and "succeeded" in parsed


def answer_data(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The `data` of the API's answer from a delivery's stored result (its envelope flattened, numbers as text):
    invoiceId and amount (exact), and whatever else the API put there (its status word)."""
    data = {k: v for k, v in stored.items() if k not in ("succeeded", "message", "errors")}
    if isinstance(data.get("amount"), str):
        data["amount"] = Decimal(data["amount"])
    return data


# -- documentation: the seed's examples (002) --------------------------------------------------------------------
EXAMPLE_REQUEST: dict[str, Any] = {
    "id": "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f",
    "counterPartyId": "7a1c9e52-0b3d-4f8e-a6c1-2d4e6f8a0b1c",
    "receivingAccountId": "c4e6a8b0-1d3f-4a5c-8e7b-9f0a1b2c3d4e",
    "counterPartyName": "Ada Lovelace",
    "accountName": "Main receivables",
    "dueDate": "2026-12-01T00:00:00",
    "currency": 1,
    "products": [
        {"productId": "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b", "quantity": 2, "unitPrice": Decimal("10.5")},
        {"productId": "5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "quantity": 1, "unitPrice": Decimal("99.99")},
    ],
    "taxes": [
        {"taxId": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "taxPercentageValue": 15},
        {"taxId": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "taxPercentageValue": Decimal("2.5")},
    ],
    "discount": {"discountType": 2, "discountValue": Decimal("5.00")},
    "description": "November services",
    "billingCycle": 6,
    "recuringInvoice": False,
    "paymentMethods": [1, 2],
    "notification": [1, 3],
    "beforeDueDates": [7, 3],
    "afterDueDates": [1, 7],
    "onDueDate": True,
}
EXAMPLE_RESPONSE = envelope(
    True, SUCCESS_MESSAGE, [], {"invoiceId": EXAMPLE_REQUEST["id"], "amount": Decimal("136.29"), "status": "Pending"}
)
EXAMPLE_QUEUED = envelope(
    True, QUEUED_MESSAGE, [], {"invoiceId": EXAMPLE_REQUEST["id"], "amount": Decimal("137.17"), "deliveryId": 42}
)
EXAMPLE_INVALID = error_envelope(VALIDATION_MESSAGE, ["$.products[0].productId: a uuid is required."])
EXAMPLE_UNAUTHORIZED = error_envelope(UNAUTHORIZED_MESSAGE, ["Invalid API token."])
EXAMPLE_NOT_FOUND = error_envelope(NOT_FOUND_MESSAGE, [f"No invoice with id {EXAMPLE_REQUEST['id']}."])
