"""Finding invoices: search, filters, the date drill-down, the totals above the list, and the CSV of what is listed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.browser


def line(price: str) -> list[dict[str, Any]]:
    return [{"sku": "CONSULT", "description": "Consulting", "quantity": Decimal("1"), "unit_price": Decimal(price)}]


@pytest.fixture
def invoices(transactional_db: None) -> None:
    rapyd = ProviderAccountFactory(kind="rapyd", name="Rapyd EU")
    generic = ProviderAccountFactory(kind="generic", name="Generic invoicing")
    october = dt.date(2026, 10, 12)
    for number, account, status, customer, price, currency, issued in [
        ("INV-2026-0201", rapyd, "open", "Lovelace Analytical Ltd", "1250.00", "EUR", None),
        ("INV-2026-0202", rapyd, "paid", "Lovelace Analytical Ltd", "310.40", "EUR", october),
        ("INV-2026-0203", generic, "open", "Babbage & Sons", "99.99", "USD", None),
        ("INV-2026-0204", generic, "uncollectible", "Hopper Compilers plc", "18000", "JPY", october),
        ("INV-2026-0205", rapyd, "draft", "Noether Algebra GmbH", "75.00", "EUR", None),
    ]:
        dates = {"issue_date": issued, "due_date": issued + dt.timedelta(days=30)} if issued else {}
        make_invoice(
            account=account,
            number=number,
            status=status,
            customer_name=customer,
            currency=currency,
            lines=line(price),
            **dates,
        )


def listed_numbers(page: Page) -> list[str]:
    return sorted(page.locator("#result_list tbody th a").all_inner_texts())


def test_search_filter_drill_down_and_export_what_is_listed(
    page: Page, sign_in: Callable[[str], Any], invoices: None, shot: Callable[[str], None]
) -> None:
    sign_in("viewer")
    page.goto("/admin/invoices/invoice/")
    expect(page.locator("#result_list tbody tr")).to_have_count(5)

    # search by customer
    page.locator("#searchbar").fill("lovelace")
    page.locator("#searchbar").press("Enter")
    expect(page.locator(".paginator")).to_contain_text("2 invoices")
    assert listed_numbers(page) == ["INV-2026-0201", "INV-2026-0202"]

    # narrow to the paid ones with the status filter
    page.locator("#changelist-filter details", has_text="By status").get_by_role(
        "link", name="Paid", exact=True
    ).click()
    expect(page.locator(".paginator")).to_contain_text("1 invoice")
    assert listed_numbers(page) == ["INV-2026-0202"]
    expect(page.locator(".currency-totals .currency-EUR")).to_contain_text("310.40 EUR")

    # a search that matches nothing says so, and offers the way back
    page.locator("#searchbar").fill("nobody at all")
    page.locator("#searchbar").press("Enter")
    expect(page.locator(".empty-state")).to_contain_text("No invoice matches “nobody at all” with these filters")
    shot("empty-search")
    page.get_by_role("link", name="Show all 5 invoices").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(5)

    # drill down by issue date: October 2026
    page.locator("nav.toplinks a", has_text="October 2026").click()
    expect(page.locator(".paginator")).to_contain_text("2 invoices")
    assert listed_numbers(page) == ["INV-2026-0202", "INV-2026-0204"]
    expect(page.locator(".currency-totals .currency-JPY")).to_contain_text("18,000 JPY")

    # the export holds exactly what is listed, every amount exact
    export = page.get_by_role("link", name="Export 2 as CSV")
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename.startswith("invoices-")
    path = download.path()
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["Number"], r["Status"], r["Currency"], r["Total"]) for r in rows) == [
        ("INV-2026-0202", "Paid", "EUR", "310.40"),
        ("INV-2026-0204", "Uncollectible", "JPY", "18000"),
    ]
