"""The dashboard as finance staff open it: the figures, the chart of the last 14 days, and the lists behind them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from invoices.models import Delivery, Invoice
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.browser

DASHBOARD = "/admin/invoices/invoice/dashboard/"
# days ago -> (succeeded, failed or dead) deliveries finished that day
FINISHED = {0: (4, 1), 1: (6, 0), 2: (3, 2), 5: (8, 0), 9: (2, 1), 13: (5, 0), 20: (7, 7)}


def delivered(invoice: Invoice, state: str, days_ago: int = 0, **fields: Any) -> None:
    """A delivery queued through the service, then put in `state` as of `days_ago`: a fixture shortcut."""
    delivery = invoice_push(invoice_id=invoice.pk, actor=Actor.system("fixtures"))
    # Noon of that day (or now, for today before noon): the day a delivery counts for never depends on the hour
    # the test runs at.
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    finished = None if state in ("pending", "sending") else min(noon, timezone.now())
    Delivery.objects.filter(pk=delivery.pk).update(state=state, completed_at=finished, **fields)


@pytest.fixture
def activity(transactional_db: None) -> dict[str, Invoice]:
    rapyd = ProviderAccountFactory(kind="rapyd", name="Rapyd EU")
    generic = ProviderAccountFactory(kind="generic", name="Generic invoicing")
    ProviderAccountFactory(kind="vtex", name="VTEX store", paused=True)

    def invoice(account: Any, status: str, price: str, currency: str = "EUR") -> Invoice:
        lines = [{"sku": "S", "description": "Service", "quantity": Decimal("1"), "unit_price": Decimal(price)}]
        return make_invoice(account=account, status=status, currency=currency, lines=lines)

    invoices = {
        "open": invoice(rapyd, "open", "1250.00"),
        "uncollectible": invoice(rapyd, "uncollectible", "310.45"),
        "usd": invoice(generic, "open", "99.99", "USD"),
    }
    invoice(rapyd, "paid", "500.00")
    invoice(generic, "draft", "42.00")
    for days_ago, (succeeded, failed) in FINISHED.items():
        for _ in range(succeeded):
            delivered(invoices["usd"], "succeeded", days_ago)
        for n in range(failed):
            delivered(invoices["open"], "failed" if n % 2 == 0 else "dead", days_ago, provider_message="Refused.")
    delivered(invoices["usd"], "pending")
    delivered(invoices["usd"], "pending")
    delivered(invoices["open"], "sending")
    return invoices


def test_the_dashboard_shows_what_needs_doing_and_its_chart_counts_the_last_14_days(
    page: Page, sign_in: Callable[[str], Any], activity: dict[str, Invoice]
) -> None:
    # anonymous visitors are sent to sign in first
    page.goto(DASHBOARD)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    expect(page.locator("#login-form")).to_be_visible()

    # a viewer reaches it first thing from the index
    sign_in("viewer")
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.locator("h1")).to_have_text("Dashboard")

    # what is owed, per currency
    outstanding = page.locator("#outstanding")
    expect(outstanding.locator(".currency-EUR")).to_contain_text("1,560.45 EUR")
    expect(outstanding.locator(".currency-EUR")).to_contain_text("in 2 invoices")
    expect(outstanding.locator(".currency-USD")).to_contain_text("99.99 USD")

    # the queue, what needs attention, and the paused provider
    expect(page.locator("#queue .big")).to_have_text("3")
    failed_total = sum(f for _, f in FINISHED.values())  # however long ago: they wait for someone
    expect(page.locator("#attention .big")).to_have_text(str(failed_total))
    expect(page.locator("#paused-providers")).to_contain_text("VTEX store")

    # the chart: one bar per day and outcome, as many as finished that day; nothing older than 14 days
    chart = page.locator("svg.delivery-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar-succeeded")).to_have_count(14)
    expect(chart.locator("rect.bar-failed")).to_have_count(14)
    today = timezone.localdate()
    for days_ago in range(14):
        succeeded, failed = FINISHED.get(days_ago, (0, 0))
        day = chart.locator(f"g.chart-day[data-day='{(today - dt.timedelta(days=days_ago)).isoformat()}']")
        expect(day.locator("rect.bar-succeeded")).to_have_attribute("data-count", str(succeeded))
        expect(day.locator("rect.bar-failed")).to_have_attribute("data-count", str(failed))
    tallest = chart.locator(f"g.chart-day[data-day='{(today - dt.timedelta(days=5)).isoformat()}'] rect.bar-succeeded")
    heights = [float(h) for h in chart.locator("rect.bar").evaluate_all("rs => rs.map(r => r.getAttribute('height'))")]
    assert float(tallest.get_attribute("height") or 0) == max(heights) > 0
    expect(page.locator(".chart-legend")).to_contain_text(
        f"Succeeded: {sum(s for d, (s, _) in FINISHED.items() if d < 14)}"
    )

    # a bar opens the deliveries it counts
    chart.locator(f"g.chart-day[data-day='{today.isoformat()}'] a").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(FINISHED[0][0])
    page.go_back()

    # and the invoices by status and provider
    matrix = page.locator("#invoices-by-status")
    expect(matrix.locator("tbody tr", has_text="Rapyd EU").locator("td").last).to_have_text("3")
    expect(matrix.locator("tfoot td").last).to_have_text("5")
    expect(chart).to_be_visible()
