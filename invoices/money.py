"""Money arithmetic: Decimal only, rounded half-up to the currency's minor unit.

How totals are built (the same rule everywhere: admin, API, PDF, provider payloads):
  line amount = quantity * unit price, rounded to the minor unit
  line tax    = line amount * tax rate / 100, rounded to the minor unit
  subtotal    = Σ line amounts;  tax = Σ line taxes
  total       = subtotal - discount + tax   (the discount is a fixed amount off the invoice, like a coupon)
Rounding per line, not on the sum, is what invoices print and what tax authorities expect line by line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .currencies import minor_units

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Amount in the currency's minor unit (VTEX cents)."""
    return int(round_money(amount, currency).scaleb(minor_units(currency)))


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-minor_units(currency))


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def line_amount(line: LineAmounts, currency: str) -> Decimal:
    return round_money(line.quantity * line.unit_price, currency)


def line_tax(line: LineAmounts, currency: str) -> Decimal:
    return round_money(line_amount(line, currency) * line.tax_rate / HUNDRED, currency)


def compute_totals(lines: Iterable[LineAmounts], *, discount: Decimal, currency: str) -> Totals:
    lines = list(lines)
    subtotal = sum((line_amount(line, currency) for line in lines), ZERO)
    tax = sum((line_tax(line, currency) for line in lines), ZERO)
    discount = round_money(discount, currency)
    return Totals(
        subtotal=round_money(subtotal, currency),
        discount=discount,
        tax=round_money(tax, currency),
        total=round_money(subtotal - discount + tax, currency),
    )
