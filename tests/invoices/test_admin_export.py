"""The CSV export of the invoice list: what the list shows, filtered the same way, exact amounts, streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices.admin.export import COLUMNS, exact_amount
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invoices_invoice_changelist")
EXPORT = reverse("admin:invoices_invoice_export")


def logged_in(role: str = "viewer") -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def line(price: str, quantity: str = "1", tax_rate: str = "0") -> dict[str, Any]:
    return {"sku": "S", "quantity": Decimal(quantity), "unit_price": Decimal(price), "tax_rate": Decimal(tax_rate)}


def rows_of(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_the_export_holds_every_invoice_of_the_filtered_list_with_exact_amounts() -> None:
    # given
    account = ProviderAccountFactory(kind="generic", name="Generic EU")
    make_invoice(
        account=account, status="open", number="INV-A", lines=[line("1234.565")], customer_name="Zoë Ørsted"
    )  # 1234.57 (half-up)
    make_invoice(account=account, status="open", number="INV-B", lines=[line("10.00", "3", "19")])
    make_invoice(account=account, status="open", number="INV-C", currency="JPY", lines=[line("1500")])
    make_invoice(account=account, status="paid", number="INV-D", lines=[line("5.00")])

    # when the list is filtered on "open" and exported
    response = logged_in().get(EXPORT, {"status__exact": "open", "o": "0"})

    # then
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    rows = rows_of(response)
    assert list(rows[0]) == [title for title, _, _ in COLUMNS]
    # ordered by number, as asked ("o=0": the first column of a viewer's list)
    assert [r["Number"] for r in rows] == ["INV-A", "INV-B", "INV-C"]
    by_number = {r["Number"]: r for r in rows}
    assert by_number["INV-A"]["Total"] == "1234.57"
    assert by_number["INV-A"]["Customer"] == "Zoë Ørsted"
    assert (by_number["INV-B"]["Subtotal"], by_number["INV-B"]["Tax"], by_number["INV-B"]["Total"]) == (
        "30.00",
        "5.70",
        "35.70",
    )
    assert by_number["INV-C"]["Total"] == "1500"
    assert by_number["INV-C"]["Currency"] == "JPY"
    assert by_number["INV-A"]["Status"] == "Open (sent)"
    assert by_number["INV-A"]["Provider"] == "Generic EU"
    assert by_number["INV-A"]["Issue date"] == "2026-11-01"


def test_the_export_follows_the_search_and_the_date_drill_down() -> None:
    account = ProviderAccountFactory(kind="generic")
    make_invoice(account=account, number="INV-1", customer_name="Alpha Ltd")
    make_invoice(account=account, number="INV-2", customer_name="Alpha Ltd", issue_date="2026-10-05", due_date=None)
    make_invoice(account=account, number="INV-3", customer_name="Beta plc")
    client = logged_in()

    searched = rows_of(client.get(EXPORT, {"q": "alpha"}))
    in_october = rows_of(client.get(EXPORT, {"issue_date__year": "2026", "issue_date__month": "10"}))

    assert sorted(r["Number"] for r in searched) == ["INV-1", "INV-2"]
    assert [r["Number"] for r in in_october] == ["INV-2"]


def test_the_export_button_carries_the_lists_filters_but_not_its_page() -> None:
    account = ProviderAccountFactory(kind="generic")
    make_invoice(account=account, status="open")
    make_invoice(account=account, status="paid")

    response = logged_in().get(CHANGELIST, {"status__exact": "open", "q": "INV", "p": "1"})

    url = response.context["export_url"]
    assert url.startswith(EXPORT + "?")
    assert "status__exact=open" in url
    assert "q=INV" in url
    assert "p=" not in url
    assert response.context["export_count"] == 1
    assert "Export 1 as CSV" in response.content.decode()


def test_the_export_costs_the_same_queries_for_3_and_30_invoices() -> None:
    client = logged_in()

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(EXPORT, {"q": "Ada"})
            rows = rows_of(response)
        return len(captured), len(rows)

    accounts = [ProviderAccountFactory(kind="generic") for _ in range(3)]
    for account in accounts:
        make_invoice(account=account)
    few, three = queries()
    for n in range(27):
        make_invoice(account=accounts[n % 3], customer_name="Ada Lovelace")
    many, thirty = queries()

    assert (three, thirty) == (3, 30)
    assert few == many


def test_a_customer_name_that_a_spreadsheet_would_run_as_a_formula_stays_text() -> None:
    make_invoice(account=ProviderAccountFactory(kind="generic"), customer_name='=HYPERLINK("http://x","pay")')

    [row] = rows_of(logged_in().get(EXPORT))

    assert row["Customer"] == '\'=HYPERLINK("http://x","pay")'


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("20.0000"), "USD", "20.00"),
        (Decimal("1500.0000"), "JPY", "1500"),
        (Decimal("0.1250"), "EUR", "0.125"),  # more digits than the currency has: kept, not rounded away
        (Decimal("1.2340"), "BHD", "1.234"),
        (None, "EUR", ""),
    ],
)
def test_amounts_are_written_exactly(amount: Decimal | None, currency: str, expected: str) -> None:
    assert exact_amount(amount, currency) == expected


def test_an_unknown_filter_sends_back_to_the_list_with_its_error_flag() -> None:
    response = logged_in().get(EXPORT, {"issue_date__year": "not-a-year"})

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"


def test_anonymous_visitors_are_sent_to_the_login_page_and_staff_without_the_view_permission_refused() -> None:
    anonymous = Client().get(EXPORT)
    no_role = Client()
    no_role.force_login(UserFactory())

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    assert no_role.get(EXPORT).status_code == 403
