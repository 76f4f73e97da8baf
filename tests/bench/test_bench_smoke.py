"""The benchmarks at their small size: every table is produced, and the bounds that do not depend on the machine
hold (queries per delivery, queries per list page). Timings are printed by the runner, never asserted here.

The runner is started as `python -m bench`, as a person runs it: each benchmark builds its own database next to
the configured one (SQLite by default, PostgreSQL when DATABASE_URL points at it) and drops it afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUERIES_PER_DELIVERY = 20
QUERIES_PER_PAGE = 10

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "small", "--json", str(out)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    data: dict[str, Any] = json.loads(out.read_text())
    data["printed"] = completed.stdout
    return data


def table(results: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = results["benchmarks"][key]["table"]
    return found


def row(data: dict[str, Any], what: str) -> dict[str, Any]:
    return next(r for r in data["rows"] if r["what"] == what)


def test_every_benchmark_prints_its_table_and_the_machine(results: dict[str, Any]) -> None:
    assert set(results["benchmarks"]) == {"B1", "B2", "B3", "B4"}
    for key in ("B1", "B2", "B3", "B4"):
        assert f"| {key} " in results["printed"]
        assert table(results, key)["rows"]
    assert results["printed"].rstrip().splitlines()[-1].startswith("Machine: ")
    assert "cores" in results["machine"]
    assert "Python" in results["machine"]


def test_the_bulk_push_delivers_everything_with_a_bounded_number_of_queries(results: dict[str, Any]) -> None:
    b1 = table(results, "B1")
    succeeded = row(b1, "deliveries succeeded")
    assert succeeded["measured"] == succeeded["baseline"] > 0
    assert row(b1, "throughput (pushes/s)")["measured"] > 0
    assert 0 < row(b1, "database queries per delivery (worker side)")["measured"] <= QUERIES_PER_DELIVERY


def test_every_mirror_answers_with_the_providers_own_answer(results: dict[str, Any]) -> None:
    b2 = table(results, "B2")
    endpoints = {r["what"].split(":")[0] for r in b2["rows"]}
    assert len(endpoints) == 5
    for endpoint in endpoints:
        statuses = b2["data"][endpoint]
        assert set(statuses["mirror_statuses"]) == {"200"}, (endpoint, statuses)
        assert set(statuses["direct_statuses"]) == {"200"}, (endpoint, statuses)


def test_list_pages_take_a_few_queries_whatever_the_page_size_and_table_size(results: dict[str, Any]) -> None:
    b3 = table(results, "B3")
    query_rows = [r for r in b3["rows"] if ": queries, page of " in r["what"]]
    assert len(query_rows) == 7  # three page sizes of each list, and the changelist with its totals asked
    for r in query_rows:
        assert r["measured"] <= QUERIES_PER_PAGE, r
        assert r["baseline"] <= QUERIES_PER_PAGE, r
    for page in ("admin changelist", "GET /api/v1/invoices/"):
        assert b3["data"][f"{page} queries independent of page and table size"] is True


def test_the_commands_memory_is_measured_at_both_sizes(results: dict[str, Any]) -> None:
    b4 = table(results, "B4")
    rss = [r for r in b4["rows"] if r["what"].endswith("peak RSS (MiB)")]
    assert {r["what"].split(":")[0] for r in rss} == {"push_invoices", "reconcile_invoices"}
    for r in rss:
        assert r["baseline"] > 0
        assert r["measured"] > 0
