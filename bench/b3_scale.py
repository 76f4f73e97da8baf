"""B3 scale: the admin's invoice changelist and `GET /api/v1/invoices/` at two table sizes (1 000 and 100 000
invoices at full size): queries per page at several page sizes, and the time of a page at the large size against
the small one.

The rows are bulk-inserted (see data.py), spread over five accounts, every status and several currencies, each
with two lines and one order. Pages are rendered in this process through Django's test client (no HTTP server in
between), as a logged-in superuser and as an API client linked to every account.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from invoices.admin.invoice import TOTALS_ROW_LIMIT
from invoices.api_clients import api_client_create
from invoices.models import Invoice
from providers.kinds import ProviderKind

from .context import Context
from .data import bulk_invoices, make_account
from .report import Table

CHANGELIST = "/admin/invoices/invoice/"
API = "/api/v1/invoices/"
ADMIN_PAGE_SIZES = (20, 50, 100)
API_PAGE_SIZES = (10, 50, 200)
QUERY_BOUND = 10
TOTALS_ASKED = "admin changelist, totals asked (?totals=1)"


def run(ctx: Context) -> Table:
    size = ctx.size
    accounts = [make_account(kind, f"http://127.0.0.1:9/sandbox/{kind}") for kind in ProviderKind.values]
    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "bench-password")
    issued = api_client_create(name="bench-reader", account_ids=[a.pk for a in accounts], role="viewer")
    staff = Client()
    staff.force_login(user)
    api = Client(headers={"Authorization": f"Bearer {issued.token}"})
    pages: dict[str, Callable[[int], Any]] = {
        "admin changelist": lambda n: _admin_page(staff, n),
        "GET /api/v1/invoices/": lambda n: api.get(API, {"page_size": n}),
        # Past the list's row limit its per-currency totals are offered as a link, not computed: what the link
        # costs is measured too, as information (it reads every invoice listed).
        TOTALS_ASKED: lambda n: _admin_page(staff, n, totals=True),
    }
    default = {"admin changelist": 50, "GET /api/v1/invoices/": 50, TOTALS_ASKED: 50}
    sizes = {"admin changelist": ADMIN_PAGE_SIZES, "GET /api/v1/invoices/": API_PAGE_SIZES, TOTALS_ASKED: (50,)}

    measured: dict[int, dict[str, Any]] = {}
    built = 0
    for rows in (size.scale_small, size.scale_large):
        ctx.say(f"B3: {rows - built} more invoices (table: {rows})")
        _grow(accounts, built, rows)
        built = rows
        measured[rows] = {}
        for name, page in pages.items():
            queries = {n: _queries(page, n) for n in sizes[name]}
            seconds = _median_seconds(page, default[name], size.scale_repeats)
            measured[rows][name] = {"queries": queries, "seconds": seconds}

    small, large = size.scale_small, size.scale_large
    table = Table("B3", f"scale: invoice list pages at {small:,} and {large:,} invoices")
    table.columns = (f"{small:,} invoices", f"{large:,} invoices")
    for name in pages:
        for n in sizes[name]:
            before, after = measured[small][name]["queries"][n], measured[large][name]["queries"][n]
            worst = max(before, after)
            table.add(
                f"{name}: queries, page of {n}",
                after,
                baseline=before,
                target=f"≤ {QUERY_BOUND}, none more at a larger size" if name != TOTALS_ASKED else "",
                met=worst <= QUERY_BOUND and after <= before if name != TOTALS_ASKED else None,
                digits=0,
            )
        # Never more queries for a larger page or table (the changelist has one fewer past the totals' row limit).
        by_page = [measured[small][name]["queries"][n] for n in sizes[name]]
        by_table = [measured[rows][name]["queries"][default[name]] for rows in (small, large)]
        table.data[f"{name} queries independent of page and table size"] = (
            len(set(by_page)) == 1 and by_table[1] <= by_table[0]
        )
        table.compare(
            f"{name}: time of a page of {default[name]} (ms)",
            measured[small][name]["seconds"] * 1000,
            measured[large][name]["seconds"] * 1000,
            target="≤ 1.5" if name != TOTALS_ASKED else "",
            at_most=1.5 if name != TOTALS_ASKED else None,
        )
    table.data["measured"] = measured
    table.notes.append(
        f"Median of {size.scale_repeats} renders after a warm-up, first page, default ordering, no filter; "
        f"{ctx.database}. Queries counted per request, the login's and the token's lookups included. The "
        f"changelist computes its per-currency totals up to {TOTALS_ROW_LIMIT:,} invoices listed and offers them "
        "as a link past that (one query fewer); the row 'totals asked' is that link."
    )
    return table


def _grow(accounts: list[Any], start: int, end: int) -> None:
    """Add invoices up to `end`, spread over the accounts."""
    share = (end - start) // len(accounts)
    for index, account in enumerate(accounts):
        count = share if index < len(accounts) - 1 else end - start - share * (len(accounts) - 1)
        bulk_invoices(
            account,
            count,
            prefix=f"B3-{index}-{start}",
            status=None,
            currency=None,
            orders_per_invoice=1,
            seed=start + index,
        )
    assert Invoice.objects.count() == end


def _admin_page(client: Client, per_page: int, *, totals: bool = False) -> Any:
    # The changelist's page size is the admin's own setting (no query parameter): set on its instance for
    # this request.
    model_admin: Any = admin.site._registry[Invoice]
    default = model_admin.list_per_page
    model_admin.list_per_page = per_page
    try:
        return client.get(CHANGELIST, {"totals": "1"} if totals else {})
    finally:
        model_admin.list_per_page = default


def _queries(page: Callable[[int], Any], per_page: int) -> int:
    page(per_page)  # warm: caches, the first connection
    with CaptureQueriesContext(connection) as captured:
        response = page(per_page)
    if response.status_code != 200:
        raise RuntimeError(f"page answered {response.status_code}")
    return len(captured.captured_queries)


def _median_seconds(page: Callable[[int], Any], per_page: int, repeats: int) -> float:
    page(per_page)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = page(per_page)
        if response.status_code != 200:
            raise RuntimeError(f"page answered {response.status_code}")
        times.append(time.perf_counter() - started)
    return statistics.median(times)
