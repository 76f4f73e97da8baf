"""B1 bulk push: N status changes carried end to end (change → outbox → Celery workers → sandbox → recorded),
against the limit measured in the same run: the same N HTTP requests sent by bare `requests` from a thread pool
of the same concurrency to the same sandbox.

The changes are recorded through the service first (each commit kicks its delivery onto the broker, as in
production); then real Celery workers (`--pool threads`) start, and the clock runs from the moment they are ready
until the last outcome is recorded. On a small machine a producer loop running alongside would take its CPU from
the workers and measure the producer; its rate is reported on its own line instead. The sandbox answers every
request after `latency_ms` and runs in a process of its own (run_sandbox's threaded server).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import requests
from django.db.models import Max

from invoices.actors import Actor
from invoices.lifecycle import InvoiceStatus
from invoices.models import Delivery, DeliveryState, Door, Invoice
from invoices.selectors import invoice_data
from invoices.services import invoice_transition
from providers.base import Change, Operation, OutboundRequest
from providers.kinds import ProviderKind
from providers.registry import adapter_for

from .context import Context
from .data import bulk_invoices, generic_objects_snapshot, make_account, restore_generic_objects
from .procs import Server, celery_workers, probe, sandbox_server, wait_for
from .report import Table

ACTOR = Actor.system("bench")
QUERIES_PER_DELIVERY = 20  # claim, attempt record, outcome record, sync state, the next in line


def run(ctx: Context) -> Table:
    size = ctx.size
    n, concurrency, latency = size.push_invoices, size.push_concurrency, size.push_latency_ms
    processes = size.push_worker_processes
    faults: dict[str, Any] = {ProviderKind.GENERIC: {"latency_ms": latency}}
    with sandbox_server(ctx.env, ctx.log_dir / "b1-sandbox.log", faults=faults) as sandbox:
        ctx.say(f"B1: building {n} invoices")
        account = make_account(ProviderKind.GENERIC, sandbox.base_url("generic"), max_concurrency=concurrency)
        built = bulk_invoices(account, n, prefix="B1", status=InvoiceStatus.DRAFT, currency="USD", seed_generic=True)
        keys = list(Invoice.objects.filter(pk__in=built.ids).values_list("remote_id", flat=True))
        snapshot = generic_objects_snapshot([k.lower() for k in keys])

        ctx.say(f"B1: limit: {n} requests from {concurrency} threads with bare requests")
        outbound = _requests_for(built.ids)
        limit = _bare_requests(outbound, concurrency, sandbox)
        restore_generic_objects(snapshot)

        ctx.say(f"B1: {n} changes through {processes} Celery worker(s) x {concurrency // processes} threads")
        system = _through_workers(ctx, built.ids, sandbox, processes=processes, threads=concurrency // processes)

    table = Table("B1", f"bulk push: {n:,} status changes, sandbox latency {latency} ms, concurrency {concurrency}")
    table.compare(
        "throughput (pushes/s)",
        limit["rate"],
        system["rate"],
        target="≥ 0.6",
        at_least=0.6,
    )
    table.add("wall time (s)", system["seconds"], baseline=limit["seconds"], digits=1)
    table.add("changes recorded by the services (changes/s)", system["change_rate"])
    table.add(
        "database queries per delivery (worker side)",
        system["queries_per_delivery"],
        target=f"≤ {QUERIES_PER_DELIVERY}",
        met=system["queries_per_delivery"] <= QUERIES_PER_DELIVERY,
    )
    table.add("worker CPU time (s)", system["worker_cpu"], baseline=None, digits=1)
    table.add("worker CPU per delivery (ms)", system["worker_cpu_ms_per_delivery"], digits=2)
    table.add("sandbox CPU time (s)", system["sandbox_cpu"], baseline=limit["sandbox_cpu"], digits=1)
    table.add("deliveries succeeded", system["succeeded"], baseline=limit["ok"], digits=0)
    table.notes.append(
        f"Workers: {processes} Celery process(es) `--pool threads --concurrency {concurrency // processes}` "
        f"(embedded beat in the first), broker {ctx.broker}; account max_concurrency {concurrency}. "
        "Limit: the same request bodies, sent by `requests` from a thread pool of the same size (one keep-alive "
        "connection per thread)."
    )
    table.data.update({"limit": limit, "system": system})
    return table


def _requests_for(invoice_ids: list[int]) -> list[OutboundRequest]:
    """The exact requests the adapter will send for each change (the invoice as it will be once opened)."""
    invoices = Invoice.objects.select_related("account").prefetch_related("lines", "orders").filter(pk__in=invoice_ids)
    built = []
    adapter = None
    for invoice in invoices.order_by("id"):
        adapter = adapter or adapter_for(invoice.account)
        data = replace(invoice_data(invoice), status=InvoiceStatus.OPEN)
        change = Change(
            operation=Operation.PUSH,
            idempotency_key=uuid.uuid4().hex,
            to_status=InvoiceStatus.OPEN,
            from_status=InvoiceStatus.DRAFT,
        )
        built.append(adapter._update_request(data, change, masked=False))  # type: ignore[attr-defined]
    return built


def _bare_requests(outbound: list[OutboundRequest], concurrency: int, sandbox: Server) -> dict[str, Any]:
    sessions: dict[int, requests.Session] = {}

    def send(request: OutboundRequest) -> bool:
        import threading

        session = sessions.setdefault(threading.get_ident(), requests.Session())
        response = session.request(request.method, request.url, headers=request.headers, data=request.body)
        return response.status_code == 200

    cpu_before = sandbox.cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        ok = sum(pool.map(send, outbound))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rate": len(outbound) / seconds,
        "ok": ok,
        "sandbox_cpu": sandbox.cpu() - cpu_before,
    }


def _through_workers(
    ctx: Context, invoice_ids: list[int], sandbox: Server, *, processes: int, threads: int
) -> dict[str, Any]:
    """Record the N changes through the service (each commit kicks its delivery onto the broker), then start the
    workers: the clock runs from the moment they are ready until the last delivery is recorded."""
    n = len(invoice_ids)
    _purge_broker()
    started = time.perf_counter()
    for invoice_id in invoice_ids:
        invoice_transition(invoice_id=invoice_id, to_status=InvoiceStatus.OPEN, actor=ACTOR, door=Door.COMMAND)
    recorded = time.perf_counter() - started
    with celery_workers(ctx.env, ctx.log_dir, processes=processes, concurrency=threads) as workers:
        wait_for(lambda: probe(workers) is not None, timeout=60, interval=0.05, what="the Celery workers")
        cpu_before = sum(w.cpu() for w in workers)
        sandbox_before = sandbox.cpu()

        def done() -> bool:
            return Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count() >= n

        wait_for(done, timeout=max(120, n / 5), interval=0.25, what=f"{n} deliveries")
        worker_cpu = sum(w.cpu() for w in workers) - cpu_before
        sandbox_cpu = sandbox.cpu() - sandbox_before
        time.sleep(0.2)  # the probes rewrite their count every 50 ms
        queries, ready_at = probe(workers) or (0, 0.0)
    last = Delivery.objects.aggregate(last=Max("completed_at"))["last"]
    seconds = last.timestamp() - ready_at
    succeeded = Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count()
    return {
        "seconds": seconds,
        "rate": n / seconds,
        "change_rate": n / recorded,
        "queries": queries,
        "queries_per_delivery": queries / n,
        "worker_cpu": worker_cpu,
        "worker_cpu_ms_per_delivery": worker_cpu * 1000 / n,
        "sandbox_cpu": sandbox_cpu,
        "succeeded": succeeded,
    }


def _purge_broker() -> None:
    """Messages left by an earlier run only name rows of a database that is gone."""
    from backoffice.celery import app

    app.control.purge()
