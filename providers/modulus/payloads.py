"""Our invoice as modulus' create and update bodies, and its answers in our terms. Pure functions, no I/O.

Update: `{"customer_details": {"invoice_id", "status", "invoice_number", "void_date"}}` (the API nests the
invoice's own fields under `customer_details`). Create: customer, branch, dates, book, status, payment term
and item rows. Branch, book, payment term and unit are ids of the modulus account's own setup: they come from
the account's settings (or, per invoice, from provider_fields) and are never guessed, since a wrong book id
would file the invoice in someone else's book.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from invoices.lifecycle import InvoiceStatus
from providers.base import InvoiceData

from .status import CREATABLE, UPDATABLE, to_modulus

VOID_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
ACCOUNT_IDS = ("branch_code", "book_id", "payment_term_id", "unit_id")
NUMERIC_IDS = ("book_id", "payment_term_id", "unit_id")
DEFAULT_CUSTOMER_TYPE = "organization"  # modulus: "individual" or "organization"


class PayloadError(ValueError):
    """The invoice cannot be written as a modulus body (a data problem: fix the invoice)."""


class MissingMapping(PayloadError):
    """The account lacks an id the body needs (a setup problem: fix the account's settings)."""


# -- void date ---------------------------------------------------------------------------------------------
def parse_void_date(value: Any) -> datetime:
    """A void date given by hand: modulus' "YYYY-MM-DD HH:MM:SS" or ISO 8601; without a zone it is UTC."""
    text = str(value).strip()
    try:
        parsed = datetime.strptime(text, VOID_DATE_FORMAT)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise PayloadError(f"void_date {text!r} is not a date and time (YYYY-MM-DD HH:MM:SS)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def void_date(invoice: InvoiceData, now: datetime) -> datetime:
    """When the invoice was voided: a date given in provider_fields (a void back-dated on purpose), else the
    moment we voided it, else now. modulus keeps the date without a zone; we send and compare it in UTC."""
    given = invoice.provider_fields.get("void_date")
    if given:
        return parse_void_date(given)
    return invoice.voided_at or now


def void_date_in_future(invoice: InvoiceData, now: datetime) -> bool:
    # Compared to the second, as modulus writes it.
    return void_date(invoice, now).astimezone(UTC).replace(microsecond=0) > now.astimezone(UTC)


def format_void_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime(VOID_DATE_FORMAT)


# -- bodies ------------------------------------------------------------------------------------------------
def remote_invoice_id(invoice: InvoiceData) -> int:
    try:
        return int(invoice.remote_id.strip())
    except ValueError:
        raise PayloadError(
            f"modulus invoice ids are integers; this invoice's remote id is {invoice.remote_id!r}"
        ) from None


def update_body(invoice: InvoiceData, to_status: str, now: datetime) -> dict[str, Any]:
    word = to_modulus(to_status)
    if to_status not in UPDATABLE or word is None:
        raise PayloadError("modulus accepts only STATUS_SENT and STATUS_VOID")
    details: dict[str, Any] = {
        "invoice_id": remote_invoice_id(invoice),
        "status": word,
        "invoice_number": invoice.remote_number or invoice.number,
    }
    if to_status == InvoiceStatus.VOID:
        details["void_date"] = format_void_date(void_date(invoice, now))
    return {"customer_details": details}


def account_ids(invoice: InvoiceData, settings: Mapping[str, Any]) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    missing = []
    for name in ACCOUNT_IDS:
        value = invoice.provider_fields.get(name, settings.get(name))
        if value in (None, ""):
            missing.append(name)
            continue
        if name in NUMERIC_IDS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise MissingMapping(f"the modulus setting {name} must be a number, not {value!r}") from None
        ids[name] = value
    if missing:
        raise MissingMapping(
            f"creating a modulus invoice needs the account's {', '.join(missing)} (ids of the modulus "
            "account's own setup): add them to the account's settings"
        )
    return ids


def create_body(invoice: InvoiceData, status: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    word = to_modulus(status)
    if status not in CREATABLE or word is None:
        raise PayloadError("modulus creates invoices only as STATUS_DRAFT or STATUS_SENT")
    if invoice.discount:
        # modulus discounts per unit only; a fixed amount spread over units would not add up to the same sum.
        raise PayloadError("modulus has no invoice-level discount: put the discount on the lines instead")
    ids = account_ids(invoice, settings)
    fields = invoice.provider_fields
    customer: dict[str, Any] = {
        "code": invoice.customer_ref,
        "name": invoice.customer_name,
        "type": fields.get("customer_type", settings.get("customer_type") or DEFAULT_CUSTOMER_TYPE),
        "currency": invoice.currency,
    }
    if invoice.customer_email:
        customer["email"] = invoice.customer_email
    body: dict[str, Any] = {
        "customer_details": customer,
        "branch_code": ids["branch_code"],
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "book_id": ids["book_id"],
        "status": word,
        "payment_term_id": ids["payment_term_id"],
    }
    if fields.get("exchange_rate") is not None:
        body["exchange_rate"] = Decimal(str(fields["exchange_rate"]))
    body["reference"] = invoice.number
    if invoice.description:
        body["description"] = invoice.description
    # No tax field: modulus applies the tax set up on each item.
    body["items"] = [
        {
            "item_code": line.sku,
            "unit_id": ids["unit_id"],
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price.normalize(),
        }
        for line in invoice.lines
    ]
    return body


# -- answers -----------------------------------------------------------------------------------------------
def read_created(answer: Mapping[str, Any]) -> dict[str, str]:
    """The new invoice's id and number (the create page prints "invoice _id": both spellings are read)."""
    obj = answer.get("object")
    if not isinstance(obj, Mapping):
        return {"remote_id": "", "remote_number": ""}
    invoice_id = obj.get("invoice_id", obj.get("invoice _id"))
    return {
        "remote_id": str(invoice_id) if invoice_id not in (None, "") else "",
        "remote_number": str(obj.get("invoice_number") or "").strip(),
    }


def error_parts(answer: Any, fallback: str) -> tuple[str, str]:
    """The provider's message and error code from `{"result": false, "message", "object": {"error_code"}}`."""
    if not isinstance(answer, Mapping):
        return fallback, ""
    message = str(answer.get("message") or "").strip() or fallback
    obj = answer.get("object")
    code = obj.get("error_code") if isinstance(obj, Mapping) else None
    return message, "" if code is None else str(code)
