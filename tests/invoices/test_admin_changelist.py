"""The invoice list: columns, search, filters, the totals per currency above it, and what it costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.admin.totals import CurrencyTotal
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invoices_invoice_changelist")


@pytest.fixture
def client() -> Client:
    client = Client()
    client.force_login(UserFactory(role="operator"))
    return client


def line(price: str, quantity: str = "1", tax_rate: str = "0") -> dict[str, Any]:
    return {
        "sku": "S",
        "quantity": Decimal(quantity),
        "unit_price": Decimal(price),
        "tax_rate": Decimal(tax_rate),
    }


def numbers(response: Any) -> list[str]:
    return sorted(invoice.number for invoice in response.context["cl"].result_list)


def test_the_totals_per_currency_sum_the_filtered_list_with_decimal_precision(client: Client) -> None:
    # given invoices in three currencies and several statuses
    account = ProviderAccountFactory(kind="generic")
    make_invoice(account=account, status="open", lines=[line("0.10", "3")])  # 0.30
    make_invoice(account=account, status="uncollectible", lines=[line("0.20")])  # 0.20
    make_invoice(account=account, status="paid", lines=[line("1234.565")])  # 1234.57 (half-up)
    make_invoice(account=account, status="draft", lines=[line("100.00", tax_rate="19")])  # 119.00
    make_invoice(account=account, status="open", currency="USD", lines=[line("10.00", "2")])  # 20.00
    make_invoice(account=account, status="void", currency="JPY", lines=[line("1500")])  # 1500

    # when
    response = client.get(CHANGELIST)

    # then
    assert response.context["currency_totals"] == [
        CurrencyTotal("EUR", 4, Decimal("1354.07"), Decimal("0.50")),
        CurrencyTotal("JPY", 1, Decimal("1500"), Decimal("0")),
        CurrencyTotal("USD", 1, Decimal("20.00"), Decimal("20.00")),
    ]
    html = response.content.decode()
    assert "1,354.07 EUR" in html
    assert "1,500 JPY" in html


def test_the_totals_follow_the_filters_and_the_search(client: Client) -> None:
    account = ProviderAccountFactory(kind="generic")
    make_invoice(account=account, status="open", lines=[line("10.00")], customer_name="Alpha Ltd")
    make_invoice(account=account, status="paid", lines=[line("25.00")], customer_name="Beta plc")

    paid = client.get(CHANGELIST, {"status__exact": "paid"})
    searched = client.get(CHANGELIST, {"q": "alpha"})

    assert paid.context["currency_totals"] == [CurrencyTotal("EUR", 1, Decimal("25.00"), Decimal("0.00"))]
    assert searched.context["currency_totals"] == [CurrencyTotal("EUR", 1, Decimal("10.00"), Decimal("10.00"))]


def test_the_list_costs_the_same_number_of_queries_for_5_and_50_invoices(client: Client) -> None:
    def queries_for_listing() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries)

    accounts = [ProviderAccountFactory(kind=kind) for kind in ("generic", "rapyd", "vtex")]
    for index in range(5):
        make_invoice(account=accounts[index % 3], orders=[{"order_id": f"O-{index}"}])
    with_5 = queries_for_listing()
    for index in range(5, 50):
        make_invoice(account=accounts[index % 3], currency="USD" if index % 2 else "EUR")

    assert queries_for_listing() == with_5


def test_the_list_shows_the_columns_finance_works_from(client: Client) -> None:
    account = ProviderAccountFactory(kind="generic", name="Main shop")
    invoice = make_invoice(account=account, status="paid", lines=[line("1999.99")])

    html = client.get(CHANGELIST).content.decode()

    for expected in (
        invoice.number,
        "Ada Lovelace",
        "Main shop (Generic invoicing API)",
        "status-badge status-paid",
        "Not pushed",
        "1,999.99 EUR",
        "Nov. 1, 2026",
        "Dec. 1, 2026",
    ):
        assert expected in html


@pytest.mark.parametrize(
    "query", ["INV-SEARCH", "grace@example", "rem_123", "RN-77", "cus_9", "ORD-1"], ids=lambda q: q
)
def test_search_finds_an_invoice_by_any_of_its_references_once(client: Client, query: str) -> None:
    # given an invoice with two orders whose ids both contain "ORD-1"
    account = ProviderAccountFactory(kind="generic")
    make_invoice(
        account=account,
        number="INV-SEARCH",
        customer_email="grace@example.com",
        remote_id="rem_123",
        remote_number="RN-77",
        customer_ref="cus_9",
        orders=[{"order_id": "ORD-1"}, {"order_id": "ORD-12"}],
    )
    make_invoice(account=account)

    response = client.get(CHANGELIST, {"q": query})

    assert numbers(response) == ["INV-SEARCH"]
    assert response.context["cl"].result_count == 1
    assert [total.count for total in response.context["currency_totals"]] == [1]  # summed once, not per order


def test_the_filters_narrow_by_status_account_kind_sync_state_and_dates(client: Client) -> None:
    generic = ProviderAccountFactory(kind="generic")
    rapyd = ProviderAccountFactory(kind="rapyd")
    a = make_invoice(account=generic, status="open", issue_date=dt.date(2026, 1, 5), due_date=dt.date(2026, 2, 5))
    b = make_invoice(account=rapyd, status="open")
    c = make_invoice(account=rapyd, status="paid")

    assert numbers(client.get(CHANGELIST, {"status__exact": "open"})) == sorted([a.number, b.number])
    assert numbers(client.get(CHANGELIST, {"account__id__exact": rapyd.pk})) == sorted([b.number, c.number])
    assert numbers(client.get(CHANGELIST, {"kind": "generic"})) == [a.number]
    assert numbers(client.get(CHANGELIST, {"sync_state__exact": "local"})) == sorted([a.number, b.number, c.number])
    in_january = {"issue_date__gte": "2026-01-01", "issue_date__lt": "2026-02-01"}
    assert numbers(client.get(CHANGELIST, in_january)) == [a.number]
    due_in_february = {"due_date__gte": "2026-02-01", "due_date__lt": "2026-03-01"}
    assert numbers(client.get(CHANGELIST, due_in_february)) == [a.number]
    assert numbers(client.get(CHANGELIST, {"issue_date__year": "2026", "issue_date__month": "1"})) == [a.number]


def test_an_empty_list_says_why_and_how_to_get_out(client: Client) -> None:
    nothing_yet = client.get(CHANGELIST).content.decode()
    make_invoice(account=ProviderAccountFactory(kind="generic"))
    no_match = client.get(CHANGELIST, {"q": "no-such-invoice"}).content.decode()

    assert "No invoices yet." in nothing_yet
    assert "No invoice matches “no-such-invoice”" in no_match
    assert "Show all 1 invoice" in no_match


def test_the_date_hierarchy_offers_the_years_without_reading_every_invoice(client: Client) -> None:
    account = ProviderAccountFactory(kind="generic")
    for year in (2024, 2026):
        make_invoice(account=account, issue_date=dt.date(year, 3, 1), due_date=dt.date(year, 4, 1))

    with CaptureQueriesContext(connection) as queries:
        html = client.get(CHANGELIST).content.decode()

    assert all(f'?issue_date__year={year}"' in html for year in (2024, 2025, 2026))
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


def test_a_long_list_offers_its_totals_on_request(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # given more invoices than the list totals at once
    monkeypatch.setattr("invoices.admin.invoice.TOTALS_ROW_LIMIT", 2)
    account = ProviderAccountFactory(kind="generic")
    for price in ("1.00", "2.00", "3.00"):
        make_invoice(account=account, status="open", lines=[line(price)])

    listed = client.get(CHANGELIST)
    asked = client.get(CHANGELIST, {"totals": "1"})
    narrowed = client.get(CHANGELIST, {"q": "no-such-invoice"})

    assert "currency_totals" not in listed.context
    assert 'href="?totals=1"' in listed.content.decode()
    assert asked.status_code == 200
    assert asked.context["currency_totals"] == [CurrencyTotal("EUR", 3, Decimal("6.00"), Decimal("6.00"))]
    assert asked.context["cl"].result_count == 3
    assert narrowed.context["currency_totals"] == []


def test_a_year_without_invoices_says_so_and_offers_them_all(client: Client) -> None:
    account = ProviderAccountFactory(kind="generic")
    for year in (2024, 2026):
        make_invoice(account=account, issue_date=dt.date(year, 3, 1), due_date=dt.date(year, 4, 1))

    html = client.get(CHANGELIST, {"issue_date__year": "2025"}).content.decode()

    assert "No invoice matches these filters." in html
    assert "Show all 2 invoices" in html
    assert "No invoices yet" not in html


def test_the_totals_asked_for_stay_asked_for_across_pages_sorting_and_filters(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoices.admin.invoice.TOTALS_ROW_LIMIT", 2)
    account = ProviderAccountFactory(kind="generic")
    for price in ("1.00", "2.00", "3.00"):
        make_invoice(account=account, status="open", lines=[line(price)])

    response = client.get(CHANGELIST, {"totals": "1", "status__exact": "open", "o": "2"})
    cl = response.context["cl"]

    assert response.context["currency_totals"] == [CurrencyTotal("EUR", 3, Decimal("6.00"), Decimal("6.00"))]
    assert cl.result_count == 3
    assert "totals=1" in cl.get_query_string({"p": 1})
    assert "totals=1" in cl.get_query_string(remove=["status"])
    assert "currency_totals" not in client.get(CHANGELIST, {"totals": "0"}).context
