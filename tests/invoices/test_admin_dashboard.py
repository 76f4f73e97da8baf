"""The dashboard: its figures, the filtered lists each one links to, who may see it, and what it costs."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoices.actors import Actor
from invoices.admin.dashboard import Outstanding, deliveries_per_day
from invoices.deliveries import invoice_push
from invoices.models import Delivery, Invoice
from providers.models import ProviderAccount
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:invoices_invoice_dashboard")


def logged_in(role: str = "viewer") -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def line(price: str) -> list[dict[str, Any]]:
    return [{"sku": "S", "quantity": Decimal("1"), "unit_price": Decimal(price)}]


def delivered(invoice: Invoice, state: str, *, days_ago: int = 0, **fields: Any) -> Delivery:
    """A delivery queued through the service, then put in `state`, finished `days_ago` days ago: a fixture shortcut."""
    delivery = invoice_push(invoice_id=invoice.pk, actor=Actor.system("test"))
    finished = timezone.now() - dt.timedelta(days=days_ago) if state not in ("pending", "sending") else None
    Delivery.objects.filter(pk=delivery.pk).update(state=state, completed_at=finished, **fields)
    delivery.refresh_from_db()
    return delivery


def listed(client: Client, url: str) -> int:
    """How many rows the changelist a dashboard link leads to holds."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert "e" not in response.wsgi_request.GET, f"{url} was refused by the changelist"
    return response.context["cl"].result_count


def test_invoices_are_counted_by_status_and_provider_and_each_count_opens_its_filtered_list() -> None:
    # given
    alpha = ProviderAccountFactory(kind="generic", name="Alpha")
    beta = ProviderAccountFactory(kind="rapyd", name="Beta")
    for status in ("draft", "open", "open", "paid"):
        make_invoice(account=alpha, status=status)
    make_invoice(account=beta, status="open")
    client = logged_in()

    # when
    matrix = client.get(DASHBOARD).context["matrix"]

    # then
    by_name = {row.name: row for row in matrix.rows}
    statuses = [value for value, _ in matrix.statuses]
    assert [c.count for c in by_name["Alpha"].cells] == [{"draft": 1, "open": 2, "paid": 1}.get(s, 0) for s in statuses]
    assert by_name["Beta"].total.count == 1
    assert [t.count for t in matrix.totals] == [{"draft": 1, "open": 3, "paid": 1}.get(s, 0) for s in statuses]
    assert matrix.total.count == 5
    # and every figure is the size of the list it links to
    open_alpha = by_name["Alpha"].cells[statuses.index("open")]
    assert listed(client, open_alpha.url) == 2
    assert listed(client, matrix.totals[statuses.index("open")].url) == 3
    assert listed(client, by_name["Beta"].total.url) == 1


def test_amounts_outstanding_are_open_and_uncollectible_invoices_summed_per_currency_to_the_cent() -> None:
    account = ProviderAccountFactory(kind="generic")
    make_invoice(account=account, status="open", lines=line("0.10"))
    make_invoice(account=account, status="uncollectible", lines=line("0.20"))
    make_invoice(account=account, status="paid", lines=line("99.00"))  # paid: not owed
    make_invoice(account=account, status="draft", lines=line("50.00"))  # not sent: not owed
    make_invoice(account=account, status="open", currency="JPY", lines=line("1500"))
    client = logged_in()

    response = client.get(DASHBOARD)

    outstanding = response.context["outstanding"]
    assert [(o.currency, o.count, o.amount) for o in outstanding] == [
        ("EUR", 2, Decimal("0.30")),
        ("JPY", 1, Decimal("1500")),
    ]
    assert isinstance(outstanding[0], Outstanding)
    html = response.content.decode()
    assert "0.30 EUR" in html
    assert "1,500 JPY" in html
    assert listed(client, outstanding[0].url) == 2


def test_the_chart_counts_deliveries_finished_on_each_of_the_last_14_days_by_how_they_ended() -> None:
    # given deliveries finished today, 3 days ago, 13 days ago (the first day shown) and 20 days ago (not shown)
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    for _ in range(3):
        delivered(invoice, "succeeded")
    delivered(invoice, "failed")
    delivered(invoice, "succeeded", days_ago=3)
    delivered(invoice, "dead", days_ago=3)
    delivered(invoice, "failed", days_ago=3)
    delivered(invoice, "succeeded", days_ago=13)
    delivered(invoice, "succeeded", days_ago=20)
    delivered(invoice, "pending")  # not finished
    delivered(invoice, "cancelled", days_ago=1)  # set aside: neither
    client = logged_in()

    # when
    chart = client.get(DASHBOARD).context["chart"]

    # then
    today = timezone.localdate()
    counts = {day.date: (day.succeeded.count, day.failed.count) for day in chart.days}
    assert len(chart.days) == 14
    assert chart.days[0].date == today - dt.timedelta(days=13)
    assert chart.days[-1].date == today
    assert counts[today] == (3, 1)
    assert counts[today - dt.timedelta(days=3)] == (1, 2)
    assert counts[today - dt.timedelta(days=13)] == (1, 0)
    assert sum(s + f for s, f in counts.values()) == 8
    assert (chart.succeeded_total, chart.failed_total) == (5, 3)
    # the tallest bar reaches the top of the scale; bars are proportional
    tallest = max(bar.height for day in chart.days for bar in day.bars)
    assert chart.days[-1].succeeded.height == tallest
    assert chart.days[-1].failed.height == pytest.approx(tallest / 3, abs=0.1)
    # and each bar opens the deliveries it counts
    assert listed(client, chart.days[-1].succeeded.url) == 3
    assert listed(client, chart.days[-4].failed.url) == 2


def test_the_chart_draws_one_bar_per_day_and_series_in_svg() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    delivered(invoice, "succeeded")
    delivered(invoice, "succeeded")
    delivered(invoice, "failed", days_ago=2)

    html = logged_in().get(DASHBOARD).content.decode()

    start = html.index('<svg class="delivery-chart"')
    svg = html[start : html.index("</svg>", start)]
    succeeded = re.findall(r'class="bar bar-succeeded" data-series="succeeded" data-count="(\d+)"', svg)
    failed = re.findall(r'class="bar bar-failed" data-series="failed" data-count="(\d+)"', svg)
    assert len(succeeded) == len(failed) == 14
    assert succeeded[-1] == "2"
    assert failed[-3] == "1"
    assert sum(map(int, succeeded + failed)) == 3


def test_an_empty_chart_says_so() -> None:
    chart = deliveries_per_day()

    assert chart.empty
    assert all(bar.height == 0 for day in chart.days for bar in day.bars)
    assert "No delivery finished in the last 14 days." in logged_in().get(DASHBOARD).content.decode()


def test_the_queue_what_needs_attention_and_the_paused_providers() -> None:
    # given
    running = ProviderAccountFactory(kind="generic", name="Running")
    paused = ProviderAccountFactory(kind="generic", name="Held", paused=True)
    invoice = make_invoice(account=running)
    held = make_invoice(account=paused)
    delivered(invoice, "pending")
    delivered(invoice, "sending")
    delivered(held, "pending")
    delivered(held, "pending")
    failed = delivered(invoice, "failed", provider_message="Invoice not found.")
    delivered(invoice, "dead")
    delivered(invoice, "succeeded")
    client = logged_in()

    # when
    response = client.get(DASHBOARD)

    # then
    queue = response.context["queue"]
    assert (queue.pending.count, queue.sending.count, queue.queued.count) == (3, 1, 4)
    assert (queue.failed.count, queue.dead.count, queue.attention.count) == (1, 1, 2)
    assert listed(client, queue.queued.url) == 4
    assert listed(client, queue.attention.url) == 2
    [held_row] = response.context["paused"]
    assert (held_row.name, held_row.queued.count) == ("Held", 2)
    assert listed(client, held_row.queued.url) == 2
    assert failed.pk in [row.delivery.pk for row in response.context["attention_rows"]]
    assert {row.delivery.state for row in response.context["attention_rows"]} == {"failed", "dead"}
    assert "Invoice not found." in response.content.decode()
    assert ProviderAccount.objects.filter(paused=True).count() == 1


def test_with_nothing_to_show_each_block_says_so() -> None:
    html = logged_in().get(DASHBOARD).content.decode()

    assert "No invoices yet." in html
    assert "No invoice is open or uncollectible." in html
    assert "None has failed or run out of attempts." in html
    assert "Every provider is receiving its deliveries." in html


def test_the_dashboard_costs_the_same_queries_with_few_and_many_records() -> None:
    client = logged_in()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    account = ProviderAccountFactory(kind="generic", paused=True)
    invoice = make_invoice(account=account, status="open")
    delivered(invoice, "failed")
    delivered(invoice, "succeeded", days_ago=1)
    few = queries()
    for n in range(6):
        other = make_invoice(account=ProviderAccountFactory(kind="generic", paused=n % 2 == 0), status="open")
        delivered(other, "failed")
        delivered(other, "dead", days_ago=n)
        delivered(other, "pending")
    many = queries()

    assert few == many
    assert many <= 12


@pytest.mark.parametrize("role", ["viewer", "operator", "administrator"])
def test_every_role_sees_the_dashboard_and_the_index_links_to_it_first(role: str) -> None:
    client = logged_in(role)

    index = client.get(reverse("admin:index")).content.decode()
    page = client.get(DASHBOARD)

    assert page.status_code == 200
    invoices = reverse("admin:invoices_invoice_changelist")
    assert index.index(f'href="{DASHBOARD}"') < index.index(f'href="{invoices}"')


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    response = Client().get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_invoice_view_permission_are_refused() -> None:
    client = Client()
    client.force_login(UserFactory())  # staff, no role

    assert client.get(DASHBOARD).status_code == 403
