"""B2 mirror overhead: each provider mirror endpoint against calling the sandbox directly with the same payload.

Two processes serve the app (run_sandbox's threaded server): one plays the provider (the accounts point at it),
the other the back-office, whose mirrors record each change and deliver it to the first within their budget.
A mirror call therefore does its own work plus one provider call; the direct call is that provider call alone,
with the same body, on an object of its own in the same state. Sandbox latency is 0. Each request changes
something (a fresh invoice per request), so every mirror call records a change and delivers it.

Latency (p50, p99): sequential requests on keep-alive connections, a mirror call and a direct call in turn, so both
see the same machine load. Throughput: N requests from K threads, mirror then direct.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import requests

from invoices.api_clients import IssuedCredentials, api_client_create
from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice, InvoiceOrder
from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.generic import mirror as generic_mirror
from providers.generic import payloads as generic_payloads
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.rapyd import signing
from providers.sandbox import arcadier, modulus, rapyd, vtex
from providers.sandbox.credentials import sandbox_credentials, sandbox_identity
from providers.sandbox.models import SandboxObject
from providers.vtex import mirror as vtex_mirror

from .context import Context
from .data import bulk_invoices, make_account
from .procs import Server, sandbox_server
from .report import Table

K = ProviderKind
WARMUP = 3


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    headers: dict[str, str]
    body: str


@dataclass
class Endpoint:
    """One mirror endpoint: how to call it for its i-th change, and the sandbox for the same change."""

    kind: str
    label: str
    mirror: Callable[[int], Call]
    direct: Callable[[int], Call]


@dataclass
class Measured:
    latencies: list[float] = field(default_factory=list)
    rate: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run(ctx: Context) -> Table:
    size = ctx.size
    per_endpoint = WARMUP + size.mirror_requests + size.mirror_load_requests
    table = Table("B2", "mirror overhead: mirror endpoint vs the sandbox called directly, sandbox latency 0")
    table.columns = ("sandbox direct", "through the mirror")
    with (
        sandbox_server(ctx.env, ctx.log_dir / "b2-provider.log") as provider,
        sandbox_server(ctx.env, ctx.log_dir / "b2-app.log") as app,
    ):
        endpoints = []
        for kind, build in BUILDERS.items():
            ctx.say(f"B2: preparing {per_endpoint} changes for the {kind} mirror")
            account = make_account(kind, provider.base_url(kind), max_concurrency=64)
            issued = api_client_create(name=f"bench-{kind}", account_ids=[account.pk], role="operator")
            endpoints.append(build(account, issued, app, provider, per_endpoint))
        for endpoint in endpoints:
            ctx.say(f"B2: {endpoint.label}")
            mirror, direct = _measure(endpoint, size.mirror_requests, size.mirror_load_requests, ctx)
            _rows(table, endpoint, mirror, direct)
            table.data[endpoint.label] = {
                "mirror_statuses": mirror.statuses,
                "direct_statuses": direct.statuses,
            }
    table.notes.append(
        f"{size.mirror_requests} sequential requests per endpoint for the percentiles (mirror and direct in turn, "
        f"one keep-alive connection each); {size.mirror_load_requests} requests from "
        f"{size.mirror_load_concurrency} threads for requests/s. Every mirror answer was the provider's own "
        "(delivered within the budget) unless a row says otherwise."
    )
    return table


def _rows(table: Table, endpoint: Endpoint, mirror: Measured, direct: Measured) -> None:
    label = endpoint.label
    table.compare(
        f"{label}: p50 (ms)",
        direct.percentile(50),
        mirror.percentile(50),
        target="≤ 1.5",
        at_most=1.5,
    )
    table.compare(f"{label}: p99 (ms)", direct.percentile(99), mirror.percentile(99))
    table.compare(f"{label}: requests/s", direct.rate, mirror.rate)
    for side, measured in (("mirror", mirror), ("direct", direct)):
        unexpected = {s: n for s, n in measured.statuses.items() if s != 200}
        if unexpected:
            table.add(f"{label}: {side} answers other than 200", json.dumps(unexpected))


def _measure(endpoint: Endpoint, sequential: int, load: int, ctx: Context) -> tuple[Measured, Measured]:
    mirror, direct = Measured(), Measured()
    mirror_session, direct_session = requests.Session(), requests.Session()
    for i in range(WARMUP):
        _send(mirror_session, endpoint.mirror(i))
        _send(direct_session, endpoint.direct(i))
    for i in range(WARMUP, WARMUP + sequential):
        for call, session, measured in (
            (endpoint.mirror(i), mirror_session, mirror),
            (endpoint.direct(i), direct_session, direct),
        ):
            started = time.perf_counter()
            status = _send(session, call)
            measured.latencies.append(time.perf_counter() - started)
            measured.count(status)
    first = WARMUP + sequential
    for build, measured in ((endpoint.mirror, mirror), (endpoint.direct, direct)):
        measured.rate = _throughput(build, range(first, first + load), ctx.size.mirror_load_concurrency, measured)
    return mirror, direct


def _throughput(build: Callable[[int], Call], indices: range, threads: int, measured: Measured) -> float:
    local = threading.local()
    lock = threading.Lock()

    def one(i: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        status = _send(session, build(i))
        with lock:
            measured.count(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, indices))
    return len(indices) / (time.perf_counter() - started)


def _send(session: requests.Session, call: Call) -> int:
    response = session.request(call.method, call.url, headers=call.headers, data=call.body.encode(), timeout=60)
    return response.status_code


JSON = {"Content-Type": "application/json", "Accept": "application/json"}


# -- generic: PUT v1/Invoice/Update, a full replace that opens a draft ---------------------------------------------
def generic(account: ProviderAccount, issued: IssuedCredentials, app: Server, provider: Server, n: int) -> Endpoint:
    # The generic API taxes a whole invoice at its listed rates: every line at one rate, so that an unchanged
    # invoice reads back unchanged (lines at mixed rates would be replaced on every call).
    built = bulk_invoices(
        account, n, prefix="B2G", status=InvoiceStatus.DRAFT, currency="USD", tax_rate=Decimal(0), seed_generic=True
    )
    bodies = []
    settings = account.effective_settings()
    invoices = Invoice.objects.prefetch_related("lines", "orders").filter(pk__in=built.ids).order_by("id")
    for invoice in invoices:
        data = replace(invoice_data(invoice), status=InvoiceStatus.OPEN)
        change = Change(operation=Operation.PUSH, idempotency_key="", to_status=InvoiceStatus.OPEN)
        body = generic_payloads.update_body(data, change, settings)
        bodies.append(body)
        # As after an earlier sync, the invoice already holds what the API keeps of it (its enums and taxes in
        # provider_fields): the call then changes the status alone, as a client opening a draft does.
        held = generic_mirror.intent(loads_decimal(dumps_compact(body)), invoice_data(invoice), settings).fields
        Invoice.objects.filter(pk=invoice.pk).update(**held)
    # The direct calls change invoices of their own, held by the sandbox in the same state.
    direct_ids = []
    for body in bodies:
        twin = str(uuid.uuid4())
        direct_ids.append(twin)
        stored = {**{k: body[k] for k in ("counterPartyId", "receivingAccountId")}, "id": twin, "status": "Draft"}
        SandboxObject.objects.create(kind=K.GENERIC, collection="invoices", key=twin, data=stored)
    mirror_url = f"{app.root}/api/generic/v1/Invoice/Update"
    direct_url = f"{provider.base_url(K.GENERIC)}/api/v1/Invoice/Update"
    mirror_auth = {**JSON, "Authorization": f"Bearer {issued.token}"}
    direct_auth = {**JSON, "Authorization": f"Bearer {sandbox_credentials(K.GENERIC)['token']}"}
    return Endpoint(
        K.GENERIC,
        "generic PUT Invoice/Update",
        mirror=lambda i: Call("PUT", mirror_url, mirror_auth, dumps_compact(bodies[i])),
        direct=lambda i: Call("PUT", direct_url, direct_auth, dumps_compact({**bodies[i], "id": direct_ids[i]})),
    )


# -- modulus: PATCH inv/v1/Invoice?token=…, a draft marked sent ------------------------------------------------------
def modulus_(account: ProviderAccount, issued: IssuedCredentials, app: Server, provider: Server, n: int) -> Endpoint:
    def ids(i: int) -> dict[str, Any]:
        return {"remote_id": str(100_000 + i), "remote_number": f"BM-{100_000 + i}"}

    bulk_invoices(account, n, prefix="B2M", status=InvoiceStatus.DRAFT, currency="EUR", fields=ids)
    for i in range(n):
        modulus.seed_invoice(100_000 + i, f"BM-{100_000 + i}", modulus.DRAFT)
        modulus.seed_invoice(500_000 + i, f"BM-{500_000 + i}", modulus.DRAFT)
    credentials = sandbox_credentials(K.MODULUS)
    token = requests.post(
        f"{provider.base_url(K.MODULUS)}/api/cmn/Authenticate",
        data={"app": credentials["app"], "secret": credentials["secret"]},
        timeout=30,
    ).json()["object"]["token"]

    def body(number: int) -> str:
        details = {"invoice_id": str(number), "status": "STATUS_SENT", "invoice_number": f"BM-{number}"}
        return json.dumps({"customer_details": details})

    mirror_url = f"{app.root}/api/modulus/inv/v1/Invoice?token={issued.token}"
    direct_url = f"{provider.base_url(K.MODULUS)}/api/inv/v1/Invoice?token={token}"
    return Endpoint(
        K.MODULUS,
        "modulus PATCH inv/v1/Invoice",
        mirror=lambda i: Call("PATCH", mirror_url, JSON, body(100_000 + i)),
        direct=lambda i: Call("PATCH", direct_url, JSON, body(500_000 + i)),
    )


# -- VTEX: POST orders/{orderId}/invoice, the invoice notification of an order ready for handling -----------------
def vtex_(account: ProviderAccount, issued: IssuedCredentials, app: Server, provider: Server, n: int) -> Endpoint:
    orders = [f"{1_000_000_000_000 + i}-01" for i in range(2 * n)]
    for order_id in orders:
        vtex.seed_order(order_id, 10000, items=[{"id": "1234", "quantity": 1, "price": 10000}])

    def body(i: int) -> str:
        return json.dumps({**vtex_mirror.SEED_INVOICE_NOTIFICATION, "invoiceNumber": f"BV{i:07d}"})

    credentials = sandbox_credentials(K.VTEX)
    mirror_auth = {**JSON, "X-VTEX-API-AppKey": issued.app_key, "X-VTEX-API-AppToken": issued.app_token}
    direct_auth = {
        **JSON,
        "X-VTEX-API-AppKey": credentials["app_key"],
        "X-VTEX-API-AppToken": credentials["app_token"],
    }
    mirror_root = f"{app.root}/api/vtex/oms/pvt/orders"
    direct_root = f"{provider.base_url(K.VTEX)}/api/oms/pvt/orders"
    return Endpoint(
        K.VTEX,
        "VTEX POST orders/{id}/invoice",
        mirror=lambda i: Call("POST", f"{mirror_root}/{orders[i]}/invoice", mirror_auth, body(i)),
        direct=lambda i: Call("POST", f"{direct_root}/{orders[n + i]}/invoice", direct_auth, body(i)),
    )


# -- Rapyd: POST v1/invoices/{invoice}, a draft's description changed, signed as Rapyd signs -----------------------
def rapyd_(account: ProviderAccount, issued: IssuedCredentials, app: Server, provider: Server, n: int) -> Endpoint:
    lines = [{"amount": Decimal("10.00"), "currency": "USD", "description": "Widget", "quantity": 2}]
    remote = [str(rapyd.seed_invoice(lines=lines, description="November")["id"]) for _ in range(2 * n)]

    def ids(i: int) -> dict[str, Any]:
        return {"remote_id": remote[i], "description": "November"}

    # Rapyd taxes an invoice at one rate: every line gets the same.
    bulk_invoices(account, n, prefix="B2R", status=InvoiceStatus.DRAFT, currency="USD", tax_rate=Decimal(0), fields=ids)
    credentials = sandbox_credentials(K.RAPYD)

    def signed(root: str, invoice_id: str, access_key: str, secret_key: str, i: int) -> Call:
        body = dumps_compact({"description": f"November, revision {i}"})
        path = f"/v1/invoices/{invoice_id}"
        headers = {**JSON, **signing.signed_headers("POST", path, body, access_key=access_key, secret_key=secret_key)}
        return Call("POST", f"{root}{path}", headers, body)

    mirror_root, direct_root = f"{app.root}/api/rapyd", provider.base_url(K.RAPYD)
    return Endpoint(
        K.RAPYD,
        "Rapyd POST v1/invoices/{id}",
        mirror=lambda i: signed(mirror_root, remote[i], issued.access_key, issued.secret_key, i),
        direct=lambda i: signed(direct_root, remote[n + i], credentials["access_key"], credentials["secret_key"], i),
    )


# -- Arcadier: PUT invoice/{invoiceId}, every order of a checkout paid ---------------------------------------------
def arcadier_(account: ProviderAccount, issued: IssuedCredentials, app: Server, provider: Server, n: int) -> Endpoint:
    def number(i: int) -> dict[str, Any]:
        return {"remote_number": f"AR{7_000_000_000 + i}"}

    built = bulk_invoices(
        account,
        n,
        prefix="B2A",
        status=InvoiceStatus.OPEN,
        currency="USD",
        orders_per_invoice=2,
        guid_orders=True,
        fields=number,
    )
    payments: list[list[dict[str, Any]]] = []
    twins: list[tuple[str, list[dict[str, Any]]]] = []
    orders = InvoiceOrder.objects.filter(invoice_id__in=built.ids).select_related("invoice").order_by("id")
    by_invoice: dict[int, list[InvoiceOrder]] = {}
    for order in orders:
        by_invoice.setdefault(order.invoice_id, []).append(order)
    for invoice_id in built.ids:
        mine = by_invoice[invoice_id]
        invoice_no = mine[0].invoice.remote_number
        specs = [
            {"order_id": o.order_id, "payee_id": o.payee_ref, "payer_id": o.payer_ref, "total": str(o.amount)}
            for o in mine
        ]
        arcadier.seed_transaction(invoice_no, orders=specs)
        payments.append(_payments(invoice_no, specs))
        twin_no = f"AR{8_000_000_000 + len(twins)}"
        twin_specs = [{**spec, "order_id": str(uuid.uuid4())} for spec in specs]
        arcadier.seed_transaction(twin_no, orders=twin_specs)
        twins.append((twin_no, _payments(twin_no, twin_specs)))
    credentials = sandbox_credentials(K.ARCADIER)
    token = requests.post(
        f"{provider.base_url(K.ARCADIER)}/token",
        data={**{k: credentials[k] for k in ("client_id", "client_secret")}, "grant_type": "client_credentials"}
        | {"scope": "admin"},
        timeout=30,
    ).json()["access_token"]
    admin = sandbox_identity(K.ARCADIER)["admin_id"]
    mirror_root = f"{app.root}/api/arcadier/invoice"
    direct_root = f"{provider.base_url(K.ARCADIER)}/api/v2/admins/{admin}/invoices"
    direct_auth = {**JSON, "Authorization": f"Bearer {token}"}

    def mirror(i: int) -> Call:
        body = json.dumps({"token": issued.token, "data": payments[i]})
        return Call("PUT", f"{mirror_root}/{payments[i][0]['InvoiceNo']}", JSON, body)

    def direct(i: int) -> Call:
        twin_no, twin_payments = twins[i]
        return Call("PUT", f"{direct_root}/{twin_no}", direct_auth, json.dumps(twin_payments))

    return Endpoint(K.ARCADIER, "Arcadier PUT invoice/{id}", mirror=mirror, direct=direct)


def _payments(invoice_no: str, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "InvoiceNo": invoice_no,
            "Payee": {"ID": spec["payee_id"]},
            "Payer": {"ID": spec["payer_id"]},
            "Order": {"ID": spec["order_id"]},
            "Status": "Success",
            "Gateway": {"Code": "stripe"},
            "DateTimePaid": 1767225600,
        }
        for spec in specs
    ]


BUILDERS: dict[str, Callable[[ProviderAccount, IssuedCredentials, Server, Server, int], Endpoint]] = {
    K.GENERIC: generic,
    K.MODULUS: modulus_,
    K.VTEX: vtex_,
    K.RAPYD: rapyd_,
    K.ARCADIER: arcadier_,
}
