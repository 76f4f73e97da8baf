"""Totals in Decimal: line sums, tax per line, discount, rounding half-up to the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoices.currencies import UnknownCurrency, minor_units
from invoices.money import LineAmounts, Totals, compute_totals, from_minor, round_money, to_minor
from tests.factories import ProviderAccountFactory, make_invoice

D = Decimal


def line(quantity: str, unit_price: str, tax_rate: str = "0") -> LineAmounts:
    return LineAmounts(quantity=D(quantity), unit_price=D(unit_price), tax_rate=D(tax_rate))


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("KWD", 3), ("CLP", 0), ("BHD", 3)])
def test_each_currency_has_its_minor_unit(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


def test_an_unknown_currency_is_refused_by_name() -> None:
    with pytest.raises(UnknownCurrency, match="'XYZ'"):
        minor_units("XYZ")


@pytest.mark.parametrize(
    ("currency", "lines", "discount", "expected"),
    [
        # 2 digits: 3 x 19.99 = 59.97 at 20% -> 11.994 -> 11.99; 1 x 0.005 -> 0.01 (half up), untaxed
        (
            "EUR",
            [line("3", "19.99", "20"), line("1", "0.005")],
            "5.00",
            Totals(D("59.98"), D("5.00"), D("11.99"), D("66.97")),
        ),
        # 0 digits: 2 x 1 234.5 = 2 469 (half up), 8% -> 197.52 -> 198; a 100 discount
        ("JPY", [line("2", "1234.5", "8")], "100", Totals(D("2469"), D("100"), D("198"), D("2567"))),
        # 3 digits: 1.5 x 2.3335 = 3.50025 -> 3.500 at 5% -> 0.175;
        # 3 x 0.1235 = 0.3705 -> 0.371 at 15% -> 0.05565 -> 0.056
        (
            "KWD",
            [line("1.5", "2.3335", "5"), line("3", "0.1235", "15")],
            "0.0005",
            Totals(D("3.871"), D("0.001"), D("0.231"), D("4.101")),
        ),
    ],
)
def test_totals_round_each_line_to_the_minor_unit(
    currency: str, lines: list[LineAmounts], discount: str, expected: Totals
) -> None:
    assert compute_totals(lines, discount=D(discount), currency=currency) == expected


def test_tax_is_rounded_per_line_not_on_the_sum() -> None:
    # two lines of 0.05 at 10% tax: 0.005 each rounds to 0.01, so 0.02 in tax (the sum of rounded lines),
    # where rounding the summed tax (0.010) would have given 0.01
    totals = compute_totals([line("1", "0.05", "10"), line("1", "0.05", "10")], discount=D("0"), currency="EUR")
    assert totals.tax == D("0.02")


def test_amounts_stay_decimal_and_never_touch_float() -> None:
    totals = compute_totals([line("3", "0.10")], discount=D("0"), currency="USD")
    assert totals.subtotal == D("0.30")
    assert isinstance(totals.subtotal, Decimal)
    assert str(totals.total) == "0.30"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [(D("100.00"), "BRL", 10000), (D("12.345"), "USD", 1235), (D("7"), "JPY", 7), (D("1.2345"), "KWD", 1235)],
)
def test_minor_units_at_the_edge_round_half_up_and_come_back(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == round_money(amount, currency)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("currency", "total"),
    [("JPY", D("2567")), ("EUR", D("66.97")), ("KWD", D("4.101"))],
)
def test_an_invoice_created_through_the_service_stores_these_totals(currency: str, total: Decimal) -> None:
    lines = {
        "EUR": [
            {"quantity": D("3"), "unit_price": D("19.99"), "tax_rate": D("20")},
            {"quantity": D("1"), "unit_price": D("0.005")},
        ],
        "JPY": [{"quantity": D("2"), "unit_price": D("1234.5"), "tax_rate": D("8")}],
        "KWD": [
            {"quantity": D("1.5"), "unit_price": D("2.3335"), "tax_rate": D("5")},
            {"quantity": D("3"), "unit_price": D("0.1235"), "tax_rate": D("15")},
        ],
    }[currency]
    discount = {"EUR": D("5.00"), "JPY": D("100"), "KWD": D("0.0005")}[currency]

    invoice = make_invoice(
        account=ProviderAccountFactory(kind="generic"), currency=currency, lines=lines, discount=discount
    )

    invoice.refresh_from_db()
    assert invoice.total == total


@pytest.mark.django_db
def test_a_discount_above_the_subtotal_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot exceed the subtotal"):
        make_invoice(
            account=ProviderAccountFactory(kind="generic"),
            lines=[{"quantity": D("1"), "unit_price": D("10")}],
            discount=D("10.01"),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line_fields", "message"),
    [
        ({"quantity": D("-1"), "unit_price": D("1")}, "quantity"),
        ({"quantity": D("0"), "unit_price": D("1")}, "quantity"),
        ({"quantity": D("1"), "unit_price": D("-0.01")}, "unit_price"),
        ({"quantity": D("1"), "unit_price": D("1"), "tax_rate": D("101")}, "tax_rate"),
    ],
)
def test_bad_lines_are_refused_naming_the_field(line_fields: dict[str, Decimal], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_invoice(account=ProviderAccountFactory(kind="generic"), lines=[line_fields])
