"""Our invoice as the generic API's `UpdateInvoice` body, and its answer in our terms. Pure functions, no I/O.

The update reuses the create model and replaces the whole invoice, so every field is sent every time, in the
seed document's order. The API's integer enums (currency, discountType, billingCycle, paymentMethods,
notification, before/afterDueDates) have no published meaning: they are taken as given from the invoice's
`provider_fields` (keys spelled as the API spells them), the currency through a per-account mapping.

Account settings used: currency_codes ({"EUR": 2, ...}), fixed_discount_type, account_name (the default
accountName) and status_words (see status.py). Per invoice, provider_fields may hold productIds ({sku: uuid}),
taxes ([{taxId, taxPercentageValue}]), accountName, currency, discountType and the enums above.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from invoices.money import round_money
from providers.base import Change, InvoiceData

from .status import from_generic, to_generic

# The seed's full body sends `"currency": 1` where its short example says "USD": the only evidence there is.
DEFAULT_CURRENCY_CODES: dict[str, int] = {"USD": 1}
# The seed's example discount is type 2; our discount is a fixed amount off the invoice. Override per account
# with settings["fixed_discount_type"] if the deployment numbers its discount types otherwise.
DEFAULT_FIXED_DISCOUNT_TYPE = 2
# What an ASP.NET Core model binds when a member is absent: sending these is the same as leaving them out.
ENUM_DEFAULTS: dict[str, Any] = {
    "billingCycle": 0,
    "recuringInvoice": False,
    "paymentMethods": [],
    "notification": [],
    "beforeDueDates": [],
    "afterDueDates": [],
    "onDueDate": False,
}


class PayloadError(ValueError):
    """The invoice cannot be written as this provider's body (a data problem: fix the invoice)."""


class MissingMapping(PayloadError):
    """The account lacks a mapping the body needs (a setup problem: fix the account's settings)."""


def currency_code(currency: str, provider_fields: Mapping[str, Any], settings: Mapping[str, Any]) -> int:
    given = provider_fields.get("currency")
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    codes = settings.get("currency_codes") or DEFAULT_CURRENCY_CODES
    code = codes.get(currency)
    if not isinstance(code, int) or isinstance(code, bool):
        raise MissingMapping(
            f"no generic currency code for {currency}: add it to the account's settings, e.g. "
            f'"currency_codes": {{"{currency}": <integer>}} (the API\'s currency numbers are not published)'
        )
    return code


def as_decimal(value: Any, what: str) -> Decimal:
    """A number from provider_fields (JSON: possibly a float) as the Decimal of its shortest written form."""
    if isinstance(value, bool):
        raise PayloadError(f"{what} must be a number")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{what} must be a number, not {value!r}") from None


def whole_quantity(quantity: Decimal, sku: str) -> int:
    if quantity != quantity.to_integral_value():
        raise PayloadError(f"the generic API takes whole quantities; line {sku} has {quantity}")
    return int(quantity)


def due_datetime(value: date | None) -> str | None:
    # A date-only due date sent without a zone, so that the server does not shift it across midnight.
    return f"{value.isoformat()}T00:00:00" if value else None


def update_body(invoice: InvoiceData, change: Change, settings: Mapping[str, Any]) -> dict[str, Any]:
    if not invoice.remote_id:
        raise PayloadError("the generic API only updates existing invoices: set the invoice's remote id (a uuid)")
    fields = invoice.provider_fields
    product_ids: Mapping[str, str] = fields.get("productIds") or {}
    products = [
        {
            "productId": product_ids.get(line.sku, line.sku),
            "quantity": whole_quantity(line.quantity, line.sku),
            "unitPrice": line.unit_price.normalize(),
        }
        for line in invoice.lines
    ]
    taxes = [
        {
            "taxId": str(tax.get("taxId", "")),
            "taxPercentageValue": as_decimal(tax.get("taxPercentageValue"), "taxPercentageValue"),
        }
        for tax in fields.get("taxes") or []
    ]
    discount_type = fields.get("discountType", settings.get("fixed_discount_type", DEFAULT_FIXED_DISCOUNT_TYPE))
    body: dict[str, Any] = {
        "id": invoice.remote_id,
        "counterPartyId": invoice.customer_ref,
        "receivingAccountId": invoice.receiving_account_ref,
        "counterPartyName": invoice.customer_name,
        "accountName": fields.get("accountName", settings.get("account_name", "")),
        "dueDate": due_datetime(invoice.due_date),
        "currency": currency_code(invoice.currency, fields, settings),
        "products": products,
        "taxes": taxes,
        "discount": {
            "discountType": discount_type,
            "discountValue": round_money(invoice.discount, invoice.currency),
        },
        "description": invoice.description,
    }
    for name, default in ENUM_DEFAULTS.items():
        body[name] = fields.get(name, default)
    body["status"] = to_generic(change.to_status or invoice.status, settings.get("status_words"))
    return body


def read_answer(answer: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The `data` of a `{succeeded, message, errors, data}` answer in our terms: remote id, amount, status."""
    data = answer.get("data") or {}
    if not isinstance(data, Mapping):
        data = {}
    amount = data.get("amount")
    word = data.get("status") if isinstance(data.get("status"), str) else ""
    return {
        "remote_id": str(data.get("invoiceId") or ""),
        "amount": as_decimal(amount, "amount") if amount is not None else None,
        "remote_status": word,
        "status": from_generic(word, settings.get("status_words")) if word else None,
    }


def error_text(answer: Any, fallback: str) -> str:
    """The provider's own words from an error envelope: its message and its list of errors."""
    if not isinstance(answer, Mapping):
        return fallback
    message = str(answer.get("message") or "").strip()
    raw_errors = answer.get("errors")
    errors = [str(e) for e in raw_errors if str(e).strip()] if isinstance(raw_errors, list) else []
    if message and errors:
        return f"{message} {'; '.join(errors)}"
    return message or "; ".join(errors) or fallback
