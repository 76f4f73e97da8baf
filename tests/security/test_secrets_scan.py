"""No secret is left behind: one scenario walks through every door of the back-office with unique canary secrets,
then everything it left is searched for them.

The canaries: every provider credential (the ones first entered and the ones that replaced them), the webhook
secrets, the access tokens the providers issue, the API clients' tokens and secret keys, the admin's password,
the SMTP password, SECRET_KEY and the encryption keys. The sandbox is told to accept the provider canaries
(SANDBOX_CREDENTIALS), so every call really authenticates with them.

The doors: the admin (login, provider accounts and their credentials, the connection test, status changes, the push
dry run and push, emails, delivery retries, reconciliation, every page of every registered model), the v1 API, the
five provider mirrors, the three webhooks, the relay with injected provider faults, the operator commands, the
invoice email over SMTP and the error report mailed to ADMINS when a request fails.

What is searched: every log record (DEBUG, from the root logger), every row of every model, the sandbox's request
log, every page, answer and header received, every email (error reports included), what reached the SMTP server,
the commands' output, the cache, the broker's messages and a dump of the whole database. Two channels are expected
to carry secrets and are left out: `create_api_client` prints the new client's credentials once by design, and the
SMTP server receives the password in its AUTH command (which the scan uses as its positive control).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import secrets
import shutil
import socketserver
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
import pytest
import requests
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote as admin_quote
from django.contrib.auth import get_user_model
from django.core import mail, serializers
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from invoices import relay
from invoices.actors import Actor
from invoices.api_clients import IssuedCredentials, api_client_create
from invoices.emails import invoice_email_send
from invoices.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Door,
    EmailState,
    Invoice,
    InvoiceEmail,
    Reconciliation,
    StatusChange,
    WebhookEvent,
)
from invoices.services import invoice_create
from providers.http import HttpClient
from providers.jsonnumbers import dumps_compact
from providers.models import ProviderAccount
from providers.rapyd import signing
from providers.sandbox import arcadier as arcadier_sandbox
from providers.sandbox import generic as generic_sandbox
from providers.sandbox import modulus as modulus_sandbox
from providers.sandbox import rapyd as rapyd_sandbox
from providers.sandbox import vtex as vtex_sandbox
from providers.sandbox.models import SandboxFault, SandboxObject, SandboxRequest
from providers.sandbox.webhooks import send_arcadier_invoice_paid, send_rapyd_webhook, send_vtex_order_hook
from providers.vtex import mirror as vtex_mirror
from tests.api.mirrors.test_arcadier import payments
from tests.providers.faults import script_faults

KINDS = ("arcadier", "modulus", "generic", "vtex", "rapyd")
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
SMTP_USER = "scan-mailer"
ADMIN_USER = "scan-admin"
WEBHOOK_HEADER = "X-Webhook-Secret"
VTEX_HOOK_ORDER = "1234567890123-01"
FAIL_HEADER = "X-Fail-After-View"

ACCOUNT_ADD = reverse("admin:providers_provideraccount_add")
ACCOUNT_CHANGELIST = reverse("admin:providers_provideraccount_changelist")
INVOICE_CHANGELIST = reverse("admin:invoices_invoice_changelist")
LOGIN = reverse("admin:login")
V1 = "/api/v1"


# -- canaries and the search for them ---------------------------------------------------------------------------
def fresh(prefix: str, size: int = 14) -> str:
    """A secret no other test, fixture or run can produce: a prefix for the reader and random hex."""
    return prefix + secrets.token_hex(size)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Canary:
    name: str
    value: str
    user: str = ""  # for a secret that travels with a user name (basic auth, SMTP AUTH)

    def needles(self) -> dict[str, str]:
        """What is searched, lower-cased (the artifacts are too): the value without its last four characters,
        which admin pages show by design ("set, ending in …abcd"), so truncated copies are found as well; its
        URL-encoded form; its base64 forms."""
        value = self.value
        forms = {"as is": value[:-4] if len(value) >= 16 else value}
        encoded = quote(value, safe="")
        if encoded != value:
            forms["url-encoded"] = encoded
        stable = len(value) // 3 * 4  # base64 characters that do not depend on what follows the value
        forms["base64"] = b64(value)[:stable]
        if self.user:
            forms["base64 user:secret"] = b64(f"{self.user}:{value}")
            forms["base64 SASL PLAIN"] = b64(f"\0{self.user}\0{value}")
        return {form: needle.lower() for form, needle in forms.items()}

    def shown(self) -> str:
        return f"{self.name} ({self.value[:4]}…)"


class Canaries:
    def __init__(self) -> None:
        self.all: list[Canary] = []

    def add(self, name: str, value: str, *, user: str = "") -> str:
        assert value, f"canary {name} is empty"
        assert all(value != c.value for c in self.all), f"canary {name} is not unique"
        self.all.append(Canary(name, value, user))
        return value

    def add_many(self, prefix: str, values: dict[str, str]) -> dict[str, str]:
        for name, value in values.items():
            self.add(f"{prefix} {name}", value)
        return values


@dataclass(frozen=True)
class Artifact:
    kind: str
    name: str
    text: str


@dataclass
class Evidence:
    """Everything the scenario produced that a person, a log shipper or a backup could read."""

    items: list[Artifact] = field(default_factory=list)

    def add(self, kind: str, name: str, content: str | bytes) -> None:
        text = content.decode("latin-1") if isinstance(content, bytes) else content
        self.items.append(Artifact(kind, name, text))

    def response(self, label: str, response: Any) -> Any:
        """Keep a test client's answer: status, every header (cookies included) and the body."""
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = "\n".join(f"{name}: {value}" for name, value in response.items())
        cookies = "\n".join(morsel.OutputString() for morsel in response.cookies.values())
        self.add(
            "http", f"{label} -> {response.status_code}", f"{headers}\n{cookies}\n\n{body.decode('utf-8', 'replace')}"
        )
        return response

    def outbound(self, label: str, response: requests.Response) -> requests.Response:
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        self.add("http", f"{label} -> {response.status_code}", f"{headers}\n\n{response.text}")
        return response

    def kinds(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for item in self.items:
            n, size = counts.get(item.kind, (0, 0))
            counts[item.kind] = (n + 1, size + len(item.text))
        return counts


def scan(artifacts: list[Artifact], canaries: list[Canary]) -> list[str]:
    """Every (artifact, canary, form) where the canary is found; the secret itself is never repeated whole."""
    needles = [(canary, form, needle) for canary in canaries for form, needle in canary.needles().items()]
    found = []
    for artifact in artifacts:
        text = artifact.text.lower()
        for canary, form, needle in needles:
            if needle in text:
                found.append(f"{artifact.kind}: {artifact.name[:160]!r} holds {canary.shown()} {form}")
    return found


# -- what the logs say -------------------------------------------------------------------------------------------
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class LogCapture(logging.Handler):
    """Every record that reaches the root logger, rendered as a log shipper would keep it: message, exception with
    its chain, stack and the extra attributes (the request as its method and path, as Django's messages name it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} % {record.args!r}"
        parts = [f"{record.levelname} {record.name}: {message}"]
        if record.exc_info:
            parts.append(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        for key, value in vars(record).items():
            if key in _RECORD_ATTRIBUTES:
                continue
            if isinstance(value, HttpRequest):
                value = f"{value.method} {value.path}"
            parts.append(f"{key}={value!r}"[:10_000])
        self.lines.append((record.name, "\n".join(parts)))

    @classmethod
    @contextlib.contextmanager
    def attached(cls) -> Iterator[LogCapture]:
        handler = cls()
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield handler
        finally:
            root.removeHandler(handler)


# -- an SMTP server that asks for the password -------------------------------------------------------------------
class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpServer

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 mail.scan.test ESMTP")
        while line := self.rfile.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = text.split(" ", 1)[0].upper()
            if verb == "AUTH":
                self.server.auth_lines.append(text)
                refused = self.server.refuse_auth
                self.reply("535 5.7.8 Authentication credentials invalid" if refused else "235 2.7.0 Authenticated")
                continue
            self.server.transcript.append(text)
            if verb == "EHLO":
                self.reply("250-mail.scan.test\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.messages.append(data)
                self.reply("250 2.0.0 Queued")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("250 2.0.0 OK")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.auth_lines: list[str] = []
        self.transcript: list[str] = []
        self.messages: list[bytes] = []
        self.refuse_auth = False

    @contextlib.contextmanager
    def running(self) -> Iterator[SmtpServer]:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.shutdown()
            self.server_close()
            thread.join(5)


# -- a defect after the view answered ----------------------------------------------------------------------------
class FailAfterView:
    """Middleware for the error-report step: a request carrying FAIL_HEADER fails once its view has answered, as a
    bug in a later layer would, so Django reports it (log record and mail to ADMINS) with the request in hand."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.headers.get(FAIL_HEADER):
            raise RuntimeError("a defect after the view answered")
        return response


# -- the scenario's building blocks ------------------------------------------------------------------------------
def provider_credentials() -> dict[str, dict[str, str]]:
    return {
        "arcadier": {"client_id": fresh("arc-client-"), "client_secret": fresh("arc-secret-")},
        "modulus": {"app": fresh("app_"), "secret": fresh("mod-secret-")},
        "generic": {"token": fresh("gen-token-"), "api_key": fresh("gen-apikey-")},
        "vtex": {
            "app_key": "vtexappkey-scan-" + secrets.token_hex(10).upper(),
            "app_token": secrets.token_hex(24).upper(),
        },
        "rapyd": {"access_key": "rak_" + secrets.token_hex(12).upper(), "secret_key": "rsk_" + secrets.token_hex(20)},
    }


def account_form(
    account_name: str, base_url: str, credentials: dict[str, str], read_timeout: str = "5"
) -> dict[str, str]:
    return {
        "name": account_name,
        "base_url": base_url,
        "settings": "{}",
        "enabled": "on",
        "max_concurrency": "4",
        "connect_timeout": "2",
        "read_timeout": read_timeout,
        **{f"credential_{name}": value for name, value in credentials.items()},
    }


def change_url(obj: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[admin_quote(obj.pk)])


def seed_json(name: str) -> Any:
    return json.loads((SEEDS / name).read_text(), parse_float=Decimal)


def new_invoice(
    account: ProviderAccount, number: str, *, status: str = "draft", currency: str = "USD", **fields: Any
) -> Invoice:
    """An invoice recorded through the service, as an import from the provider would record it."""
    fields.setdefault(
        "lines", [{"sku": "SKU-1", "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10.00")}]
    )
    return invoice_create(
        account=account,
        number=number,
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        currency=currency,
        issue_date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 12, 1),
        actor=Actor.system("scan"),
        door=Door.COMMAND,
        status=status,
        **fields,
    )


def arcadier_invoice(account: ProviderAccount, number: str, paid_at_arcadier: bool = False) -> Invoice:
    """An open invoice of two marketplace orders, checked out at Arcadier (its transaction seeded there)."""
    orders = [{name: str(uuid.uuid4()) for name in ("order_id", "payee_ref", "payer_ref")} for _ in range(2)]
    remote_number = f"AR{uuid.uuid4().int % 10**10:010d}"
    invoice = new_invoice(account, number, status="open", orders=orders, remote_number=remote_number)
    arcadier_sandbox.seed_transaction(
        remote_number,
        orders=[
            {
                "order_id": o["order_id"],
                "payee_id": o["payee_ref"],
                "payer_id": o["payer_ref"],
                "total": "10.00",
                "payment_status": "Paid" if paid_at_arcadier else "Pending",
            }
            for o in orders
        ],
    )
    return invoice


def generic_invoice(account: ProviderAccount, number: str, **ids: str) -> Invoice:
    """A draft the generic API holds too (it has no create endpoint); products named by uuid."""
    remote_id = ids.get("remote_id") or str(uuid.uuid4())
    customer = ids.get("customer") or str(uuid.uuid4())
    receiver = ids.get("receiver") or str(uuid.uuid4())
    generic_sandbox.seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
    lines = [{"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10")}]
    return new_invoice(
        account,
        number,
        remote_id=remote_id,
        customer_ref=customer,
        receiving_account_ref=receiver,
        lines=lines,
    )


def rapyd_draft(account: ProviderAccount, number: str, remote_status: str = "draft") -> Invoice:
    remote = rapyd_sandbox.seed_invoice(status=remote_status, lines=[{"amount": Decimal("20.00"), "quantity": 2}])
    return new_invoice(account, number, remote_id=remote["id"], customer_ref=remote["customer"])


def rapyd_headers(method: str, url_path: str, body: str, access_key: str, secret_key: str) -> dict[str, str]:
    salt, stamp = secrets.token_hex(6), str(int(time.time()))
    signature = signing.signature(method, url_path, salt, stamp, access_key, secret_key, body)
    return {"access_key": access_key, "salt": salt, "timestamp": stamp, "signature": signature}


def deliver_until_settled(*delivery_ids: int, rounds: int = 6) -> None:
    """Run the relay, making retries due at once, until the deliveries are no longer pending."""
    for _ in range(rounds):
        relay.relay(worker="scan-relay", budget_seconds=30)
        waiting = Delivery.objects.filter(pk__in=delivery_ids, state=DeliveryState.PENDING)
        if not waiting.exists():
            return
        waiting.update(next_attempt_at=timezone.now())


def latest_delivery(invoice: Invoice) -> Delivery:
    return Delivery.objects.filter(invoice=invoice).latest("id")


def command(evidence: Evidence, *args: str, **options: Any) -> str:
    """Run an operator command; keep what it printed (and the message it exited with, if it failed)."""
    out, err = io.StringIO(), io.StringIO()
    failure = ""
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        failure = f"CommandError (exit {exc.returncode}): {exc}"
    evidence.add("command", " ".join(args), f"{out.getvalue()}\n{err.getvalue()}\n{failure}")
    return out.getvalue()


def database_dump() -> tuple[str, str]:
    """(how it was made, the dump) of the whole database as its own tools write it."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return "sqlite iterdump", "\n".join(connection.connection.iterdump())
    params = connection.settings_dict
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    if connection.vendor == "postgresql" and Path(pg_dump).exists():
        env = {**os.environ, "PGPASSWORD": str(params.get("PASSWORD") or "")}
        target = ["-h", str(params.get("HOST") or "127.0.0.1"), "-p", str(params.get("PORT") or 5432)]
        done = subprocess.run(
            [pg_dump, "--no-owner", *target, "-U", str(params["USER"]), str(params["NAME"])],
            capture_output=True,
            check=True,
            env=env,
            timeout=120,
        )
        return "pg_dump", done.stdout.decode("utf-8", "replace")
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # table names from the introspection
            rows.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "SELECT of every table", "\n".join(rows)


def broker_messages(since: float) -> list[tuple[str, str]]:
    """Celery messages waiting in the broker (the scenario queues the email task), decoded: the filesystem
    broker's files written since `since`, or the whole queue in Redis."""
    raw: list[tuple[str, bytes]] = []
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        raw = [(p.name, p.read_bytes()) for p in folder.glob("*") if p.is_file() and p.stat().st_mtime >= since]
    elif url.startswith("redis"):
        import redis

        queue = redis.Redis.from_url(url)
        items = queue.lrange("celery", 0, -1)
        raw = [
            (f"redis celery #{i}", item if isinstance(item, bytes) else str(item).encode())
            for i, item in enumerate(items)
        ]
    decoded = []
    for name, content in raw:
        text = content.decode("utf-8", "replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            message = json.loads(text)
            if message.get("properties", {}).get("body_encoding") == "base64":
                text += "\n" + base64.b64decode(message["body"]).decode("utf-8", "replace")
        decoded.append((name, text))
    return decoded


def email_texts(message: mail.EmailMessage) -> str:
    """An email as sent (headers, every part) and each part decoded."""
    raw = message.message().as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    parts = [raw.decode("utf-8", "replace")]
    for part in parsed.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


# -- the scenario --------------------------------------------------------------------------------------------------
@dataclass
class World:
    evidence: Evidence
    canaries: Canaries
    base: str  # the live server
    admin: Client
    accounts: dict[str, ProviderAccount] = field(default_factory=dict)
    operator: dict[str, Any] = field(default_factory=dict)  # what create_api_client printed once
    viewer: IssuedCredentials | None = None

    def admin_get(self, url: str, **params: Any) -> Any:
        return self.evidence.response(f"admin GET {url}", self.admin.get(url, params))

    def admin_post(self, url: str, data: dict[str, Any]) -> Any:
        return self.evidence.response(f"admin POST {url}", self.admin.post(url, data))

    def api(self, method: str, path: str, token: str | None, body: Any = None, **headers: str) -> Any:
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        data = json.dumps(body) if body is not None else None
        response = Client().generic(method, path, data or "", content_type="application/json", headers=headers)
        return self.evidence.response(f"api {method} {path}", response)

    def mirror(self, method: str, path: str, body: str, **headers: str) -> Any:
        response = Client().generic(method, path, body.encode(), content_type="application/json", headers=headers)
        return self.evidence.response(f"mirror {method} {path.split('?')[0]}", response)

    def hook_url(self, kind: str) -> str:
        return f"{self.base}/api/webhooks/{kind}/{self.accounts[kind].pk}/"


def admin_login(world: World, password: str) -> None:
    world.admin_get(LOGIN)
    wrong = world.admin_post(LOGIN, {"username": ADMIN_USER, "password": "not-the-password", "next": "/admin/"})
    assert wrong.status_code == 200
    right = world.admin_post(LOGIN, {"username": ADMIN_USER, "password": password, "next": "/admin/"})
    assert right.status_code == 302, "the admin logs in with the canary password"
    world.admin_get("/admin/")


def accounts_through_the_admin(
    world: World, stale: dict[str, dict[str, str]], good: dict[str, dict[str, str]], webhook_secrets: dict[str, str]
) -> None:
    """Accounts added with credentials the sandbox refuses, tested, then given the right ones and tested again."""
    world.admin_get(ACCOUNT_ADD)
    for kind in KINDS:
        url = f"{world.base}/sandbox/{kind}"
        response = world.admin_post(f"{ACCOUNT_ADD}?kind={kind}", account_form(f"scan {kind}", url, stale[kind]))
        assert response.status_code == 302, response.content
        world.accounts[kind] = ProviderAccount.objects.get(name=f"scan {kind}")
    pks = [a.pk for a in world.accounts.values()]
    tested = world.admin_post(ACCOUNT_CHANGELIST, {"action": "check_connection", "_selected_action": pks, "index": "0"})
    assert tested.status_code == 302
    failed = world.admin_get(ACCOUNT_CHANGELIST).content.decode()
    assert failed.count("connection failed") == len(KINDS), "the sandbox refuses the first credentials"
    command(world.evidence, "check_providers")

    for kind, account in world.accounts.items():
        credentials = {**good[kind], **({"webhook_secret": webhook_secrets[kind]} if kind in webhook_secrets else {})}
        timeout = "2" if kind == "generic" else "5"  # short enough for the timeout fault below
        form = account_form(account.name, account.base_url, credentials, read_timeout=timeout)
        response = world.admin_post(change_url(account), form)
        assert response.status_code == 302, response.content
        world.admin_get(change_url(account))
        account.refresh_from_db()
        world.accounts[kind] = account
    tested = world.admin_post(ACCOUNT_CHANGELIST, {"action": "check_connection", "_selected_action": pks, "index": "0"})
    assert tested.status_code == 302
    page = world.admin_get(ACCOUNT_CHANGELIST).content.decode()
    assert page.count("connection works") == len(KINDS), page
    assert "5 of 5 provider account(s) reachable" in command(world.evidence, "check_providers")
    pause = {"_selected_action": [world.accounts["modulus"].pk], "index": "0"}
    world.admin_post(ACCOUNT_CHANGELIST, {**pause, "action": "pause_deliveries"})
    world.admin_post(ACCOUNT_CHANGELIST, {**pause, "action": "resume_deliveries"})


def api_clients(world: World) -> None:
    """One operator client issued by the command (its printout is the one place its secrets may appear) and one
    read-only client issued by the service."""
    out = io.StringIO()
    names = [arg for account in world.accounts.values() for arg in ("--account", account.name)]
    call_command("create_api_client", "scan-integration", *names, "--role", "operator", "--json", stdout=out)
    world.operator = json.loads(out.getvalue())
    for name in ("token", "app_token", "secret_key"):
        world.canaries.add(f"operator client {name}", world.operator[name])
    world.viewer = api_client_create(name="scan-viewer", account_ids=[world.accounts["generic"].pk], role="viewer")
    for name in ("token", "app_token", "secret_key"):
        world.canaries.add(f"viewer client {name}", getattr(world.viewer, name))


def admin_invoice_work(world: World, invoices: dict[str, Invoice]) -> None:
    """Status changes, the push dry run and push, an email, with the admin's pages along the way."""
    generic, arcadier, modulus = invoices["generic admin"], invoices["arcadier admin"], invoices["modulus admin"]
    world.admin_get(INVOICE_CHANGELIST)
    world.admin_get(change_url(generic))
    status_url = reverse("admin:invoices_invoice_change_status", args=[generic.pk])
    world.admin_get(status_url)
    assert world.admin_post(status_url, {"to_status": "open", "reason": "sent to the customer"}).status_code == 302
    modulus_status = reverse("admin:invoices_invoice_change_status", args=[modulus.pk])
    assert world.admin_post(modulus_status, {"to_status": "open", "reason": "sent"}).status_code == 302

    selected = [i.pk for i in invoices.values()]
    dry_run = world.admin_post(
        INVOICE_CHANGELIST, {"action": "push_to_provider", "_selected_action": selected, "index": "0"}
    )
    assert dry_run.status_code == 200
    assert "***" in dry_run.content.decode(), "the dry run shows the requests, secrets masked"
    world.admin_get(reverse("admin:invoices_invoice_push", args=[arcadier.pk]))
    confirm = {"action": "push_to_provider", "_selected_action": [arcadier.pk], "post": "yes"}
    assert world.admin_post(INVOICE_CHANGELIST, confirm).status_code == 302

    email = {"action": "send_email", "_selected_action": [generic.pk]}
    world.admin_post(INVOICE_CHANGELIST, {**email, "index": "0"})
    assert world.admin_post(INVOICE_CHANGELIST, {**email, "post": "yes"}).status_code == 302
    deliver_until_settled(*Delivery.objects.values_list("pk", flat=True))


def faults_and_retries(world: World, invoices: dict[str, Invoice]) -> None:
    """A 5xx, a timeout and a 429 before the generic API answers; Rapyd down until a delivery is dead, then retried
    from the admin."""
    script_faults("generic", ["5xx", "timeout", "429"], timeout_s=3, retry_after_s=1)
    flaky = invoices["generic faults"]
    moved = world.api("POST", f"{V1}/invoices/{flaky.pk}/transitions/", world.operator["token"], {"to_status": "open"})
    assert moved.status_code == 200, moved.content
    delivery = latest_delivery(flaky)
    deliver_until_settled(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED, delivery
    assert delivery.attempts >= 3, "the 5xx, the timeout and the 429 were each retried"

    SandboxFault.objects.update_or_create(kind="rapyd", defaults={"down": True, "retry_after_s": 1, "next_faults": []})
    down = invoices["rapyd down"]
    status_url = reverse("admin:invoices_invoice_change_status", args=[down.pk])
    assert world.admin_post(status_url, {"to_status": "open", "reason": "finalised"}).status_code == 302
    dead = latest_delivery(down)
    Delivery.objects.filter(pk=dead.pk).update(max_attempts=1)
    relay.relay(worker="scan-relay", budget_seconds=30)
    dead.refresh_from_db()
    assert dead.state == DeliveryState.DEAD, dead
    SandboxFault.objects.filter(kind="rapyd").update(down=False)
    world.admin_get(change_url(dead))
    retried = world.admin_post(reverse("admin:invoices_delivery_retry", args=[dead.pk]), {})
    assert retried.status_code == 302
    deliver_until_settled(dead.pk)
    dead.refresh_from_db()
    assert dead.state == DeliveryState.SUCCEEDED, dead


def normalized_api(world: World, invoice: Invoice) -> None:
    token = world.operator["token"]
    assert world.viewer is not None
    assert world.api("GET", f"{V1}/invoices/", token).status_code == 200
    assert world.api("GET", f"{V1}/invoices/", "not-a-token").status_code == 401
    assert world.api("GET", f"{V1}/invoices/{invoice.pk}/", token).status_code == 200
    refused = world.api("POST", f"{V1}/invoices/{invoice.pk}/transitions/", world.viewer.token, {"to_status": "open"})
    assert refused.status_code in (403, 404)
    moved = world.api("POST", f"{V1}/invoices/{invoice.pk}/transitions/", token, {"to_status": "open"})
    assert moved.status_code == 200, moved.content
    assert world.api("POST", f"{V1}/invoices/{invoice.pk}/push/", token).status_code == 202
    deliver_until_settled(*Delivery.objects.filter(invoice=invoice).values_list("pk", flat=True))
    world.api("GET", f"{V1}/invoices/{invoice.pk}/history/", token)
    listed = world.api("GET", f"{V1}/invoices/{invoice.pk}/deliveries/", token)
    for delivery in listed.json()["results"]:
        assert world.api("GET", f"{V1}/deliveries/{delivery['id']}/", token).status_code == 200
    assert world.api("POST", f"{V1}/invoices/{invoice.pk}/emails/", token, {}).status_code == 202


def mirrors(world: World, invoices: dict[str, Invoice]) -> None:
    """Each provider's mirror called as that provider's clients call it: good credentials, then a valid credential
    of a client that may not act there, then a made-up one."""
    op = world.operator
    viewer = world.viewer
    assert viewer is not None

    arcadier = invoices["arcadier mirror"]
    body = dumps_compact({"token": op["token"], "data": payments(arcadier)})
    path = f"/api/arcadier/invoice/{arcadier.remote_number}"
    assert world.mirror("PUT", path, body).status_code == 200
    other = dumps_compact({"token": viewer.token, "data": payments(arcadier)})
    assert world.mirror("PUT", path, other).status_code in (401, 403)
    made_up = dumps_compact({"token": "made-up-token", "data": payments(arcadier)})
    assert world.mirror("PUT", path, made_up).status_code == 401

    modulus = json.dumps(seed_json("modulus_update_example_1.json")["request"])
    path = "/api/modulus/inv/v1/Invoice"
    assert world.mirror("PATCH", f"{path}?token={op['token']}", modulus).status_code == 200
    assert world.mirror("PATCH", f"{path}?token={viewer.token}", modulus).status_code in (401, 403)
    assert world.mirror("PATCH", f"{path}?token=made-up-token", modulus).status_code == 401

    generic = (SEEDS / "generic_update_full.json").read_text()
    path = "/api/generic/v1/Invoice/Update"
    assert world.mirror("PUT", path, generic, Authorization=f"Bearer {op['token']}").status_code == 200
    assert world.mirror("PUT", path, generic, Authorization=f"Bearer {viewer.token}").status_code == 403
    assert world.mirror("PUT", path, generic, **{"X-Api-Key": "made-up-key"}).status_code == 401

    vtex = json.dumps(vtex_mirror.SEED_INVOICE_NOTIFICATION)
    path = f"/api/vtex/oms/pvt/orders/{vtex_mirror.SEED_ORDER_ID}/invoice"
    good = {"X-VTEX-API-AppKey": op["app_key"], "X-VTEX-API-AppToken": op["app_token"]}
    assert world.mirror("POST", path, vtex, **good).status_code == 200
    foreign = {"X-VTEX-API-AppKey": viewer.app_key, "X-VTEX-API-AppToken": viewer.app_token}
    assert world.mirror("POST", path, vtex, **foreign).status_code == 403
    assert world.mirror("POST", path, vtex, **{**good, "X-VTEX-API-AppToken": "made-up"}).status_code == 401

    rapyd = invoices["rapyd mirror"]
    body = (SEEDS / "rapyd_update_invoice_request.json").read_text()
    url_path = f"/v1/invoices/{rapyd.remote_id}"
    signed = rapyd_headers("POST", url_path, body, op["access_key"], op["secret_key"])
    assert world.mirror("POST", f"/api/rapyd{url_path}", body, **signed).status_code == 200
    foreign_signed = rapyd_headers("POST", url_path, body, viewer.access_key, viewer.secret_key)
    assert world.mirror("POST", f"/api/rapyd{url_path}", body, **foreign_signed).status_code in (401, 403)
    forged = rapyd_headers("POST", url_path, body, op["access_key"], "sk_made-up")
    assert world.mirror("POST", f"/api/rapyd{url_path}", body, **forged).status_code == 401
    deliver_until_settled(*Delivery.objects.values_list("pk", flat=True))


def webhooks(world: World, invoices: dict[str, Invoice], webhook_secrets: dict[str, str]) -> None:
    """The three providers that call back, each once as itself and once with another account's secret."""
    rapyd = world.accounts["rapyd"]
    remote = rapyd_sandbox.stored_invoice(invoices["rapyd webhook"].remote_id)
    assert remote is not None
    url = world.hook_url("rapyd")
    paid = send_rapyd_webhook(url, rapyd.get_credentials(), "INVOICE_PAYMENT_SUCCEEDED", remote)
    assert world.evidence.outbound("webhook rapyd", paid).status_code == 200
    assert world.viewer is not None
    foreign = {"access_key": rapyd.get_credentials()["access_key"], "secret_key": world.viewer.secret_key}
    forged = send_rapyd_webhook(url, foreign, "INVOICE_PAYMENT_SUCCEEDED", remote)
    assert world.evidence.outbound("webhook rapyd forged", forged).status_code == 401

    arcadier = invoices["arcadier webhook"]
    state = arcadier_sandbox.transaction_state(arcadier.remote_number)
    assert state is not None
    url = world.hook_url("arcadier")
    good = send_arcadier_invoice_paid(url, WEBHOOK_HEADER, webhook_secrets["arcadier"], state)
    assert world.evidence.outbound("webhook arcadier", good).status_code == 200
    bad = send_arcadier_invoice_paid(url, WEBHOOK_HEADER, webhook_secrets["vtex"], state)
    assert world.evidence.outbound("webhook arcadier with the vtex secret", bad).status_code == 401

    # VTEX's hook names the app key that configured it (Origin.Key): the account's own
    url, app_key = world.hook_url("vtex"), world.accounts["vtex"].get_credentials()["app_key"]
    good = send_vtex_order_hook(
        url, WEBHOOK_HEADER, webhook_secrets["vtex"], VTEX_HOOK_ORDER, "invoiced", app_key=app_key
    )
    assert world.evidence.outbound("webhook vtex", good).status_code == 200
    bad = send_vtex_order_hook(
        url, WEBHOOK_HEADER, webhook_secrets["arcadier"], VTEX_HOOK_ORDER, "canceled", app_key=app_key
    )
    assert world.evidence.outbound("webhook vtex with the arcadier secret", bad).status_code == 401


def emails_over_smtp(world: World, smtp: SmtpServer, email_backend: str) -> None:
    """The emails asked for above go out through the SMTP server, which asks for the password; the last one finds
    the password refused."""
    queued = list(InvoiceEmail.objects.filter(state=EmailState.QUEUED).order_by("id"))
    assert len(queued) >= 2
    with override_settings(EMAIL_BACKEND=email_backend):
        for email in queued[:-1]:
            assert invoice_email_send(email_id=email.pk).state == EmailState.SENT
        smtp.refuse_auth = True
        assert invoice_email_send(email_id=queued[-1].pk).state == EmailState.FAILED
    command(world.evidence, "send_invoice_emails", "--ids", str(queued[0].invoice_id), "--dry-run")


def operator_commands(world: World) -> None:
    dry_run = command(world.evidence, "push_invoices", "--provider", *KINDS, "--dry-run", verbosity=2)
    assert "Authorization: Bearer ***" in dry_run, dry_run
    command(world.evidence, "push_invoices", "--provider", "arcadier", "--status", "open", "paid", verbosity=2)
    command(world.evidence, "deliver_outbox")
    command(world.evidence, "retry_deliveries", "--dry-run")
    command(world.evidence, "reprocess_webhooks", "--dry-run")
    assert "invoice(s) compared" in command(world.evidence, "reconcile_invoices")
    reconcile = {"action": "reconcile_with_provider", "_selected_action": [i.pk for i in Invoice.objects.all()]}
    world.admin_post(INVOICE_CHANGELIST, {**reconcile, "index": "0"})


def error_reports(world: World, admin_password: str) -> int:
    """Requests through each door that fail after their view answered: each is logged and mailed to ADMINS."""
    op = world.operator
    fail = {FAIL_HEADER: "1"}
    middleware = [*settings.MIDDLEWARE, f"{__name__}.FailAfterView"]
    sent = 0
    with override_settings(MIDDLEWARE=middleware):

        def failing(
            method: str, path: str, body: str | bytes | dict[str, Any], content_type: str, **headers: str
        ) -> None:
            nonlocal sent
            client = Client(raise_request_exception=False)
            client.cookies = world.admin.cookies
            if isinstance(body, dict):
                response = client.post(path, body, headers={**fail, **headers})
            else:
                response = client.generic(method, path, body, content_type=content_type, headers={**fail, **headers})
            assert world.evidence.response(f"failing {method} {path.split('?')[0]}", response).status_code == 500
            sent += 1

        generic = world.accounts["generic"]
        credentials = {k: v for k, v in generic.get_credentials().items()}
        failing("POST", change_url(generic), account_form(generic.name, generic.base_url, credentials, "2"), "")
        anonymous = Client(raise_request_exception=False)
        login = anonymous.post(LOGIN, {"username": ADMIN_USER, "password": admin_password}, headers=fail)
        assert world.evidence.response("failing POST login", login).status_code == 500
        sent += 1
        json_type = "application/json"
        modulus = json.dumps(seed_json("modulus_update_example_1.json")["request"])
        failing("PATCH", f"/api/modulus/inv/v1/Invoice?token={op['token']}", modulus, json_type)
        failing("GET", f"{V1}/invoices/", "", json_type, Authorization=f"Token {op['token']}")
        arcadier = dumps_compact({"token": op["token"], "data": []})
        failing("PUT", "/api/arcadier/invoice/AR0000000000", arcadier, json_type)
        vtex = {"X-VTEX-API-AppKey": op["app_key"], "X-VTEX-API-AppToken": op["app_token"]}
        failing("POST", f"/api/vtex/oms/pvt/orders/{VTEX_HOOK_ORDER}/invoice", "{}", json_type, **vtex)
        failing("PUT", "/api/generic/v1/Invoice/Update", "{}", json_type, **{"X-Api-Key": op["token"]})
        url_path = "/v1/invoices/inv_0000"
        signed = rapyd_headers("POST", url_path, "{}", op["access_key"], op["secret_key"])
        failing("POST", f"/api/rapyd{url_path}", "{}", json_type, **signed)
        arcadier_account = world.accounts["arcadier"]
        secret = arcadier_account.get_credentials()["webhook_secret"]
        hook = f"/api/webhooks/arcadier/{arcadier_account.pk}/"
        failing("POST", hook, "{}", json_type, **{WEBHOOK_HEADER: secret})
    return sent


def walk_the_admin(world: World) -> int:
    """The index, the dashboard, the export and every registered model's list and the page of each object."""
    pages = 0
    for url in ("/admin/", reverse("admin:invoices_invoice_dashboard"), reverse("admin:invoices_invoice_export")):
        world.admin_get(url)
        pages += 1
    failures = []
    for model in admin.site._registry:
        opts = model._meta
        changelist = world.admin_get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        pages += 1
        if changelist.status_code != 200:
            failures.append(f"{opts.label} list: {changelist.status_code}")
        for obj in model._default_manager.all():
            page = world.admin_get(change_url(obj))
            pages += 1
            if page.status_code != 200:
                failures.append(f"{opts.label} {obj.pk}: {page.status_code}")
        if opts.model_name == "invoice":
            for obj in model._default_manager.all()[:3]:
                world.admin_get(reverse("admin:invoices_invoice_history", args=[obj.pk]))
    assert not failures, failures
    return pages


def issued_tokens(learnt: list[str]) -> dict[str, str]:
    """The access (and refresh) tokens the adapters learnt from Arcadier and modulus, by name, checked against what
    the sandbox issued: every token it issued was learnt here, so none escapes the scan."""
    issued = SandboxObject.objects.filter(collection="tokens")
    kinds = {held.key: held.kind for held in issued}
    named = {}
    for n, token in enumerate(sorted(set(learnt)), start=1):
        digest = hashlib.sha256(token.encode()).hexdigest()
        # kept by digest, or as the token itself (which the scan then reports wherever it shows)
        kind = kinds.get(digest) or kinds.get(token)
        named[f"{kind} access token #{n}" if kind else f"arcadier refresh token #{n}"] = token
    for held in issued:
        assert held.key in {hashlib.sha256(t.encode()).hexdigest() for t in learnt} | set(learnt), held
    assert {"arcadier", "modulus"} <= set(kinds.values())
    return named


# -- the test ------------------------------------------------------------------------------------------------------
def test_no_secret_is_left_in_any_artifact_of_a_full_scenario(
    live_server: Any, transactional_db: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, wall_start = time.monotonic(), time.time()
    canaries = Canaries()
    stale = {kind: canaries.add_many(f"{kind} first", values) for kind, values in provider_credentials().items()}
    good = {kind: canaries.add_many(kind, values) for kind, values in provider_credentials().items()}
    webhook_secrets = {kind: canaries.add(f"{kind} webhook secret", fresh("whsec-")) for kind in ("arcadier", "vtex")}
    secret_key = canaries.add("SECRET_KEY", fresh("scan-secret-key-", 25))
    first_key = canaries.add("FIELD_ENCRYPTION_KEYS first", Fernet.generate_key().decode())
    next_key = canaries.add("FIELD_ENCRYPTION_KEYS rotated", Fernet.generate_key().decode())
    admin_password = canaries.add("admin password", fresh("Pw-", 12))
    smtp_password = canaries.add("SMTP password", f"smtp/{secrets.token_hex(8)}+{secrets.token_hex(8)}", user=SMTP_USER)

    # Access tokens handed out by Arcadier and modulus reach the adapters here (and are checked complete below).
    learnt: list[str] = []
    original_add_secret = HttpClient.add_secret

    def spy(self: HttpClient, value: str | None) -> None:
        if value:
            learnt.append(value)
        original_add_secret(self, value)

    monkeypatch.setattr(HttpClient, "add_secret", spy)

    evidence = Evidence()
    queued_before = len(broker_messages(wall_start))
    smtp = SmtpServer()
    with smtp.running(), LogCapture.attached() as logs:
        email_config = environ.Env.email_url_config(
            f"smtp://{SMTP_USER}:{quote(smtp_password, safe='')}@127.0.0.1:{smtp.server_address[1]}"
        )
        smtp_backend = email_config.pop("EMAIL_BACKEND")
        overrides = {
            "SECRET_KEY": secret_key,
            "FIELD_ENCRYPTION_KEYS": [first_key],
            "SANDBOX_CREDENTIALS": good,
            "ADMINS": [("Operations", "ops@backoffice.example")],
            "EMAIL_CONFIG": {**email_config, "EMAIL_BACKEND": smtp_backend},
            "EMAIL_BACKEND": LOCMEM_EMAIL,
            **email_config,
        }
        with override_settings(**overrides):
            # Everything at DEBUG from the root logger; Django's own loggers keep the level Django gives them (INFO),
            # which LOG_LEVEL does not lower: django.template at DEBUG would log the error report's whole context.
            caplog.set_level(logging.DEBUG)
            caplog.set_level(logging.DEBUG, logger="django.request")
            get_user_model().objects.create_superuser(ADMIN_USER, "admin@backoffice.example", admin_password)
            world = World(evidence=evidence, canaries=canaries, base=live_server.url, admin=Client())

            # the admin: login, accounts and their credentials, the connection test
            admin_login(world, admin_password)
            accounts_through_the_admin(world, stale, good, webhook_secrets)
            api_clients(world)

            # invoices the sandbox knows too
            accounts = world.accounts
            modulus_sandbox.seed_invoice(35, "INV_2023_01_01_828", "STATUS_DRAFT")
            modulus_sandbox.seed_invoice(36, "SCAN-MOD-36", "STATUS_DRAFT")
            vtex_sandbox.seed_order(
                vtex_mirror.SEED_ORDER_ID, 10000, items=[{"id": "1234", "quantity": 1, "price": 10000}]
            )
            generic_seed = seed_json("generic_update_full.json")
            invoices = {
                "generic admin": generic_invoice(accounts["generic"], "SCAN-GEN-1"),
                "arcadier admin": arcadier_invoice(accounts["arcadier"], "SCAN-ARC-1"),
                "modulus admin": new_invoice(
                    accounts["modulus"], "SCAN-MOD-36", remote_id="36", remote_number="SCAN-MOD-36"
                ),
                "rapyd down": rapyd_draft(accounts["rapyd"], "SCAN-RAP-1"),
            }
            others = {
                "generic faults": generic_invoice(accounts["generic"], "SCAN-GEN-2"),
                "generic api": generic_invoice(accounts["generic"], "SCAN-GEN-3"),
                "generic mirror": generic_invoice(
                    accounts["generic"],
                    "SCAN-GEN-4",
                    remote_id=generic_seed["id"],
                    customer=generic_seed["counterPartyId"],
                    receiver=generic_seed["receivingAccountId"],
                ),
                "arcadier mirror": arcadier_invoice(accounts["arcadier"], "SCAN-ARC-2"),
                "arcadier webhook": arcadier_invoice(accounts["arcadier"], "SCAN-ARC-3", paid_at_arcadier=True),
                "modulus mirror": new_invoice(
                    accounts["modulus"], "SCAN-MOD-35", remote_id="35", remote_number="INV_2023_01_01_828"
                ),
                "rapyd mirror": rapyd_draft(accounts["rapyd"], "SCAN-RAP-2"),
                "rapyd webhook": rapyd_draft(accounts["rapyd"], "SCAN-RAP-3", remote_status="paid"),
                "vtex webhook": new_invoice(
                    accounts["vtex"], "SCAN-VTX-1", currency="BRL", orders=[{"order_id": VTEX_HOOK_ORDER}]
                ),
            }
            # every other door
            admin_invoice_work(world, invoices)
            faults_and_retries(world, {**invoices, **others})
            normalized_api(world, others["generic api"])
            mirrors(world, others)
            webhooks(world, others, webhook_secrets)
            emails_over_smtp(world, smtp, smtp_backend)
            operator_commands(world)
            with override_settings(FIELD_ENCRYPTION_KEYS=[next_key, first_key]):
                # a new key first, every secret encrypted again under it; the rest runs with both keys
                assert "; 0 could not be decrypted" in command(evidence, "rotate_encryption_keys")
                command(evidence, "check_providers")
                deliver_until_settled(*Delivery.objects.values_list("pk", flat=True))
                forced = error_reports(world, admin_password)
                pages = walk_the_admin(world)

                # the tokens the providers issued are canaries too
                for name, token in issued_tokens(learnt).items():
                    canaries.add(name, token)

                # everything left behind
                for name, line in logs.lines:
                    evidence.add("log record", name, line)
                evidence.add("log (caplog)", "caplog.text", caplog.text)
                for model in apps.get_models():
                    rows = serializers.serialize("json", model._default_manager.all())
                    evidence.add("database rows", model._meta.label, rows)
                evidence.add(
                    "sandbox request log",
                    "SandboxRequest",
                    repr(list(SandboxRequest.objects.values())),
                )
                for message in mail.outbox:
                    evidence.add("email", str(message.subject), email_texts(message))
                evidence.add("smtp", "transcript without AUTH", "\n".join(smtp.transcript))
                for data in smtp.messages:
                    evidence.add("smtp", "message received", data)
                how, dump = database_dump()
                evidence.add("database dump", how, dump)
                if hasattr(cache, "_cache"):
                    for key, value in list(cache._cache.items()):
                        evidence.add("cache", key, value)
                for name, text in broker_messages(wall_start):
                    evidence.add("broker message", name, text)

    # the scenario really ran, and the scan has something to read
    kinds = evidence.kinds()
    summary = ", ".join(f"{kind}: {n} ({size:,} bytes)" for kind, (n, size) in sorted(kinds.items()))
    total = sum(size for _, size in kinds.values())
    print(f"\nscanned {len(evidence.items)} artifacts, {total:,} bytes, for {len(canaries.all)} canaries: {summary}")
    print(f"database dump by {how}; scenario and scan took {time.monotonic() - started:.1f} s")
    assert kinds["log record"][0] >= 150
    assert kinds["http"][0] >= 100
    assert pages >= 80
    assert kinds["command"][0] >= 10
    reports = [m for m in mail.outbox if "Internal Server Error" in m.subject and "defect after the view" in m.body]
    assert len(reports) == forced == 9, [m.subject for m in mail.outbox]
    assert kinds["smtp"][0] >= 2
    assert kinds["broker message"][0] > queued_before
    succeeded = Delivery.objects.filter(state=DeliveryState.SUCCEEDED)
    assert set(succeeded.values_list("account__kind", flat=True)) == set(KINDS), "each provider took the canaries"
    assert DeliveryAttempt.objects.exclude(exchanges=[]).count() >= 15
    assert StatusChange.objects.count() >= 20
    assert WebhookEvent.objects.filter(valid=True).count() == 3
    assert WebhookEvent.objects.filter(valid=False).count() >= 3
    assert Reconciliation.objects.exists()
    for kind in KINDS:
        assert SandboxRequest.objects.filter(kind=kind, status_code=200).exists(), kind
    assert len(dump) > 100_000
    for invoice in Invoice.objects.all():
        assert invoice.number in dump, f"the dump holds invoice {invoice.number}"
    assert ProviderAccount.objects.get(name="scan rapyd").credentials_encrypted in dump

    # the search finds what it looks for: a planted canary, encoded ones, and the password the SMTP server received
    planted = {
        "plain": (f"<td>{good['vtex']['app_token']}</td>", "vtex app_token"),
        "truncated": (f"token={good['generic']['token'][:-3]}…", "generic token"),
        "url-encoded": (
            f"smtp://{SMTP_USER}:{quote(smtp_password, safe='')}@mail",
            "SMTP password (smtp…) url-encoded",
        ),
        "basic auth": (
            f"Authorization: Basic {b64(f'{SMTP_USER}:{smtp_password}')}",
            "SMTP password (smtp…) base64 user:",
        ),
        "base64": (f"X-Key: {b64(good['generic']['api_key'])}", "generic api_key (gen-…) base64"),
    }
    for name, (text, expected) in planted.items():
        hits = scan([Artifact("control", name, text)], canaries.all)
        assert any(expected in hit for hit in hits), (name, hits)
    # what the account page shows by design is not a finding: "set, ending in …abcd"
    assert not scan(
        [Artifact("control", "last four", f"set, ending in …{good['rapyd']['secret_key'][-4:]}")], canaries.all
    )
    auth = [Artifact("smtp", "AUTH command", line) for line in smtp.auth_lines]
    assert any("SMTP password" in hit and "SASL PLAIN" in hit for hit in scan(auth, canaries.all))

    # and finds nothing in what the scenario left
    leaks = scan(evidence.items, canaries.all)
    assert not leaks, f"{len(leaks)} secret(s) found:\n" + "\n".join(leaks)
