"""Authorization matrix: every principal against every admin page, admin action, custom admin URL and API route.

The targets are generated, never listed by hand:

- the admin: for each ModelAdmin of `admin.site._registry`, its changelist, add, change, delete and history views
  (GET, and POST for the writing ones), every action of `_get_base_actions()` (the confirmation page, then the
  confirmed post), every URL of `get_urls()` beyond Django's standard ones; and every view of `admin.site`;
- the API: every pattern under /api/ found by walking `get_resolver()` (the normalized API, the five provider
  mirrors, the webhooks, the OpenAPI pages), with a concrete path built from real ids and every method its view
  serves.

What each principal should get comes from tests/security/authz_policy.py (written from the README's roles and API
sections), not from the product's permission code. A target without a policy entry fails the matrix, and so does
a policy entry for a target that no longer exists. Denials must change nothing: every INSERT, UPDATE and DELETE a
request runs is recorded, and a refused request may run none (authentication bookkeeping aside). Allowed writes
must show their effect.

Size of the generated matrix (printed by test_the_matrix_covers_every_principal_and_the_product_surface, and
true as of this writing): 1,988 admin cases (7 principals x 284 targets: 9 standard views x 20 ModelAdmins, 75
action posts, 15 custom URL/methods, 14 admin-site views) + 689 API cases (13 principals x 53 route/methods under
/api/) = 2,677 cases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Max, Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from invoices.actors import Actor
from invoices.api_clients import IssuedCredentials, api_client_create
from invoices.deliveries import invoice_push
from invoices.emails import invoice_email_request
from invoices.models import (
    ApiClient,
    ApiNonce,
    Delivery,
    DeliveryState,
    Door,
    EmailState,
    Invoice,
    InvoiceEmail,
    Reconciliation,
    ReconciliationItem,
    StatusChange,
    StoredEmail,
    WebhookEvent,
    WebhookState,
)
from invoices.services import invoice_create
from providers.models import ProviderAccount
from providers.sandbox.models import SandboxFault, SandboxObject, SandboxRequest
from providers.vtex import mirror as vtex_mirror

from .authz_policy import (
    ADMIN_MODELS,
    ADMIN_PRINCIPALS,
    ADMIN_SITE_URLS,
    API_PRINCIPALS,
    API_ROUTES,
    CATEGORY_ORDER,
    DOOR_PREFIXES,
    DOORS,
    GRANTS,
    ActionRule,
    ApiRule,
    C,
    Expected,
    Outcome,
    P,
    Scope,
    UrlRule,
    admin_expected,
    api_expected,
)

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
WEBHOOK_SECRET = "whsec-authz-matrix-0001"
WEBHOOK_HEADER = "X-Webhook-Secret"  # the account setting webhook_header's default for Arcadier and VTEX
CREDENTIALS: dict[str, dict[str, str | None]] = {
    "arcadier": {"client_id": "arc-client-id-0001", "client_secret": "arc-client-secret-0001"},
    "modulus": {"app": "mod-app-0001", "secret": "mod-secret-0001-xyz"},
    "generic": {"token": "gen-token-0001-abcdef", "api_key": "gen-apikey-0001-abcdef"},
    "vtex": {"app_key": "vtexappkey-test-ABCDEF", "app_token": "VTEXAPPTOKEN0001XYZ"},
    "rapyd": {"access_key": "rak_TEST0001ACCESS", "secret_key": "rsk_test0001secretkeyvalue"},
}
KINDS = tuple(CREDENTIALS)
HOOK_SECRETS = ("arcadier", "vtex")  # the platforms whose webhooks carry a secret header (Rapyd signs them)
UNKNOWN_PATH = "authz-no-such-endpoint"
ROLE_GROUPS = {P.VIEWER: "viewer", P.OPERATOR: "operator", P.ADMINISTRATOR: "administrator", P.NONSTAFF: "operator"}


# === Generating the targets ========================================================================================
# --- The admin ---------------------------------------------------------------------------------------------------
STANDARD_VIEWS = ("changelist", "add", "history", "delete", "change")
# (view, method) of every ModelAdmin; "object" is the unnamed `<object_id>/` pattern that redirects to "change".
MODEL_VIEWS = (
    ("changelist", "GET"),
    ("add", "GET"),
    ("add", "POST"),
    ("change", "GET"),
    ("change", "POST"),
    ("delete", "GET"),
    ("delete", "POST"),
    ("history", "GET"),
    ("object", "GET"),
)


@dataclass(frozen=True)
class AdminTarget:
    model: str  # app_label.model_name; "" for the admin site's own views
    kind: str  # "view", "action", "url" or "site"
    name: str  # the view, the action's name, or the URL's name
    method: str
    variant: str = ""  # actions: "confirm" (the first post) or "apply" (post=yes)
    app_label: str = ""  # the admin site's app pages

    @property
    def id(self) -> str:
        parts = [self.model or "site", self.kind, self.name, self.app_label, self.variant, self.method]
        return "-".join(part for part in parts if part)


def _model_admins() -> list[tuple[str, Any]]:
    return sorted((model._meta.label_lower, model_admin) for model, model_admin in admin.site._registry.items())


def base_actions(model_admin: Any) -> list[str]:
    """Every action of the ModelAdmin, before Django filters them by the request's permissions."""
    return [name for _, name, _ in model_admin._get_base_actions()]


def custom_urls(label: str, model_admin: Any) -> list[URLPattern]:
    standard = {f"{label.replace('.', '_')}_{view}" for view in STANDARD_VIEWS}
    return [p for p in model_admin.get_urls() if isinstance(p, URLPattern) and p.name and p.name not in standard]


def site_urls() -> list[tuple[str, URLPattern]]:
    """The admin site's own views (the ModelAdmins' includes left out), by name or, unnamed, by view name."""
    found = []
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern):
            found.append((pattern.name or pattern.callback.__name__, pattern))
    return found


def admin_targets() -> list[AdminTarget]:
    targets: list[AdminTarget] = []
    for label, model_admin in _model_admins():
        policy = ADMIN_MODELS.get(label)
        targets += [AdminTarget(label, "view", view, method) for view, method in MODEL_VIEWS]
        for name in base_actions(model_admin):
            rule = policy.actions.get(name) if policy else None
            variants = ("confirm", "apply") if rule is not None and rule.confirm else ("apply",)
            targets += [AdminTarget(label, "action", name, "POST", variant) for variant in variants]
        for pattern in custom_urls(label, model_admin):
            assert pattern.name is not None
            # Without a policy entry the URL is still a target (tried with GET), and fails for want of one.
            methods = list((policy.urls.get(pattern.name) if policy else None) or ["GET"])
            targets += [AdminTarget(label, "url", pattern.name, method) for method in methods]
    app_labels = sorted({label.split(".")[0] for label, _ in _model_admins()})
    for name, _ in site_urls():
        if name == "app_list":
            targets += [AdminTarget("", "site", name, "GET", app_label=app) for app in app_labels]
        else:
            methods = list(ADMIN_SITE_URLS.get(name) or ["GET"])
            targets += [AdminTarget("", "site", name, method) for method in methods]
    return targets


# --- The API -----------------------------------------------------------------------------------------------------
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _readable(pattern: str) -> str:
    """A URL pattern as the policy names it: anchors dropped, every parameter written <name>."""
    return _CONVERTER.sub(r"<\1>", _GROUP.sub(r"<\1>", pattern.removeprefix("^").removesuffix("$")))


@dataclass(frozen=True)
class ApiTarget:
    route: str  # e.g. "api/v1/invoices/<pk>/transitions/"
    method: str
    door: str

    @property
    def id(self) -> str:
        return f"{self.route}-{self.method}"


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        text = prefix + _readable(str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, text)
        else:
            yield text, pattern


def api_patterns() -> dict[str, URLPattern]:
    return {route: pattern for route, pattern in walk(get_resolver().url_patterns) if route.startswith("api/")}


def served_methods(pattern: URLPattern) -> tuple[str, ...]:
    """The methods the view answers: a viewset's mapped actions, a class view's own handlers (and OPTIONS where it
    serves it); a function view, or a class with no handler of its own (a catch-all), is tried with GET and POST."""
    callback: Any = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return (*(method.upper() for method in actions), "OPTIONS")
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ("GET", "POST")
    own = [m.upper() for m in view_class.http_method_names if m not in ("options", "head") and hasattr(view_class, m)]
    if not own:
        return ("GET", "POST")
    return (*own, "OPTIONS") if "options" in view_class.http_method_names else tuple(own)


def door_of(route: str) -> str:
    return next((door for prefix, door in DOOR_PREFIXES.items() if route.startswith(prefix)), "")


def api_targets() -> list[ApiTarget]:
    return [
        ApiTarget(route, method, door_of(route))
        for route, pattern in api_patterns().items()
        for method in served_methods(pattern)
    ]


ADMIN_TARGETS = admin_targets()
API_TARGETS = api_targets()
ADMIN_CASES = [
    pytest.param(principal, target, id=f"{principal}-{target.id}")
    for target in ADMIN_TARGETS
    for principal in ADMIN_PRINCIPALS
]
API_CASES = [
    pytest.param(principal, target, id=f"{principal}-{target.id}")
    for target in API_TARGETS
    for principal in API_PRINCIPALS
]


# === The data: built once for the module, inside a transaction rolled back at its end ===========================
@dataclass
class World:
    accounts: dict[str, ProviderAccount]  # per kind: the account the linked clients act on (paused)
    others: dict[str, ProviderAccount]  # per kind: the only accounts CLIENT_FOREIGN is linked to (paused)
    invoices: dict[str, Invoice]
    orders: dict[str, str]  # VTEX order ids, by invoice key
    delivery: Delivery  # a failed delivery of invoices["generic"]
    credentials: dict[P, IssuedCredentials]
    sessions: dict[P, str]  # session keys of the principals who log in
    secrets: tuple[str, ...] = ()  # every stored credential and issued secret, in plaintext
    admin_objects: dict[str, Model] = field(default_factory=dict)
    selections: dict[str, list[Model]] = field(default_factory=dict)  # what an action is run on, when not one row

    def selected(self, label: str) -> list[Model]:
        return self.selections.get(label) or [self.admin_object(label)]

    def admin_object(self, label: str) -> Model:
        if label in self.admin_objects:
            return self.admin_objects[label]
        found = apps.get_model(label).objects.order_by("pk").first()
        assert found is not None, f"no {label} row to act on: add one to build_world()"
        return found


def _account(name: str, kind: str, *, paused: bool, webhook_secret: bool = False) -> ProviderAccount:
    account = ProviderAccount(
        kind=kind, name=name, base_url=f"http://127.0.0.1:9/sandbox/{kind}", enabled=True, paused=paused
    )
    credentials = dict(CREDENTIALS[kind])
    if webhook_secret:
        credentials["webhook_secret"] = WEBHOOK_SECRET
    account.set_credentials(credentials)
    account.save()
    return account


def _invoice(account: ProviderAccount, number: str, *, status: str = "draft", **fields: Any) -> Invoice:
    """Created through the service (history and totals are real), then put in `status` directly: a shortcut to a
    state the matrix does not exercise."""
    lines = fields.pop(
        "lines", [{"sku": str(uuid.uuid4()), "description": "Widget", "quantity": Decimal(2), "unit_price": 10}]
    )
    invoice = invoice_create(
        account=account,
        number=number,
        customer_name=fields.pop("customer_name", "Ada Lovelace"),
        customer_email=fields.pop("customer_email", "ada@example.com"),
        currency=fields.pop("currency", "USD"),
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        lines=lines,
        actor=Actor.system("authorization matrix"),
        door=Door.COMMAND,
        **fields,
    )
    if status != "draft":
        Invoice.objects.filter(pk=invoice.pk).update(status=status)
        invoice.refresh_from_db()
    return invoice


def _user(username: str, *, staff: bool, superuser: bool = False, group: str = "") -> Any:
    user = get_user_model().objects.create_user(username, password=None, is_staff=staff, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def _stored_email() -> StoredEmail:
    message = EmailMessage("Invoice AUTHZ", "Your invoice.", "billing@example.com", ["ada@example.com"])
    message.attach("invoice.pdf", b"%PDF-1.4 authorization matrix", "application/pdf")
    return StoredEmail.objects.create(
        message_id="<authz@example.com>",
        from_email="billing@example.com",
        to="ada@example.com",
        subject="Invoice AUTHZ",
        body_text="Your invoice.",
        attachments=[{"name": "invoice.pdf", "type": "application/pdf", "size": 29}],
        raw=message.message().as_bytes(),
    )


def generic_seed() -> dict[str, Any]:
    seed: dict[str, Any] = json.loads((SEEDS / "generic_update_full.json").read_text())
    return seed


def build_world() -> World:
    accounts = {
        kind: _account(f"authz-{kind}", kind, paused=True, webhook_secret=kind in HOOK_SECRETS) for kind in KINDS
    }
    others = {kind: _account(f"authz-other-{kind}", kind, paused=True) for kind in KINDS}
    spare = _account("authz-spare", "generic", paused=False)
    system = Actor.system("authorization matrix")

    seed = generic_seed()
    guid = lambda: str(uuid.uuid4())  # noqa: E731
    orders = {"vtex_draft": "1172452900788-01", "vtex_open": "1172452900788-02"}
    invoices = {
        "generic": _invoice(
            accounts["generic"],
            "AUTHZ-GEN-1",
            remote_id=seed["id"],
            customer_ref=seed["counterPartyId"],
            receiving_account_ref=seed["receivingAccountId"],
        ),
        "arcadier": _invoice(
            accounts["arcadier"],
            "AUTHZ-ARC-1",
            status="open",
            currency="SGD",
            remote_number="ARC-AUTHZ-0001",
            orders=[{"order_id": guid(), "payee_ref": guid(), "payer_ref": guid()}],
        ),
        "modulus": _invoice(accounts["modulus"], "AUTHZ-MOD-1", remote_id="35", remote_number="INV_AUTHZ_828"),
        "vtex_draft": _invoice(
            accounts["vtex"], "AUTHZ-VTEX-1", currency="BRL", orders=[{"order_id": orders["vtex_draft"]}]
        ),
        "vtex_open": _invoice(
            accounts["vtex"],
            "AUTHZ-VTEX-2",
            status="open",
            currency="BRL",
            remote_number="AUTHZ-VTEX-2",
            orders=[{"order_id": orders["vtex_open"]}],
        ),
        "rapyd": _invoice(
            accounts["rapyd"], "AUTHZ-RPD-1", remote_id="invoice_authzmatrix0001", customer_ref="cus_authz0001"
        ),
    }
    target = invoices["generic"]
    delivery = invoice_push(invoice_id=target.pk, actor=system)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED)
    email = invoice_email_request(invoice_id=target.pk, actor=system, door=Door.COMMAND)
    InvoiceEmail.objects.filter(pk=email.pk).update(state=EmailState.FAILED, error="authorization matrix")
    event = WebhookEvent.objects.create(
        kind="rapyd",
        account=accounts["rapyd"],
        event_id="wh_authz_failed",
        event_type="CUSTOMER_CREATED",
        body=json.dumps({"id": "wh_authz_failed", "type": "CUSTOMER_CREATED", "data": {}}),
        valid=True,
        state=WebhookState.FAILED,
        outcome="failed while applying (authorization matrix)",
    )
    run = Reconciliation.objects.create(
        requested_by="authorization matrix", door=Door.COMMAND, finished_at=timezone.now(), counts={"remote_ahead": 1}
    )
    item = ReconciliationItem.objects.create(
        reconciliation=run,
        invoice=target,
        result="remote_ahead",
        local_status="draft",
        remote_status="open",
        remote_word="open",
    )
    # "Adopt theirs" applies to the first, "push ours" to this one: the fix actions run on both.
    local_ahead = ReconciliationItem.objects.create(
        reconciliation=run, invoice=invoices["arcadier"], result="local_ahead", local_status="open"
    )

    linked = [account.pk for account in accounts.values()]
    credentials = {
        P.CLIENT_VIEWER: api_client_create(name="authz-viewer", account_ids=linked, role="viewer"),
        P.CLIENT_OPERATOR: api_client_create(name="authz-operator", account_ids=linked, role="operator"),
        P.CLIENT_FOREIGN: api_client_create(
            name="authz-foreign", account_ids=[a.pk for a in others.values()], role="operator"
        ),
        P.CLIENT_INACTIVE: api_client_create(name="authz-inactive", account_ids=linked, role="operator"),
    }
    ApiClient.objects.filter(pk=credentials[P.CLIENT_INACTIVE].client.pk).update(is_active=False)

    users = {
        P.NONSTAFF: _user("authz-nonstaff", staff=False, group=ROLE_GROUPS[P.NONSTAFF]),
        P.STAFF: _user("authz-staff", staff=True),
        P.VIEWER: _user("authz-viewer", staff=True, group=ROLE_GROUPS[P.VIEWER]),
        P.OPERATOR: _user("authz-operator", staff=True, group=ROLE_GROUPS[P.OPERATOR]),
        P.ADMINISTRATOR: _user("authz-administrator", staff=True, group=ROLE_GROUPS[P.ADMINISTRATOR]),
        P.SUPERUSER: _user("authz-superuser", staff=True, superuser=True),
    }
    sessions = {}
    for principal, user in users.items():
        browser = Client()
        browser.force_login(user)
        sessions[principal] = browser.cookies[settings.SESSION_COOKIE_NAME].value

    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("48.85"), longitude=Decimal("2.35"))
    ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))
    admin_objects: dict[str, Model] = {
        "auth.user": _user("authz-victim", staff=True),
        "auth.group": Group.objects.create(name="authz-victim"),
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="authz-task", task="authz.matrix.no_such_task", interval=interval
        ),
        "invoices.invoice": target,
        "invoices.statuschange": StatusChange.objects.filter(invoice=target).order_by("pk").first() or target,
        "invoices.delivery": delivery,
        "invoices.invoiceemail": email,
        "invoices.storedemail": _stored_email(),
        "invoices.webhookevent": event,
        "invoices.reconciliation": run,
        "invoices.reconciliationitem": item,
        "invoices.apiclient": api_client_create(name="authz-victim", account_ids=[spare.pk], role="viewer").client,
        "providers.provideraccount": spare,
        "sandbox.sandboxfault": SandboxFault.objects.create(kind="generic"),
        "sandbox.sandboxrequest": SandboxRequest.objects.create(
            kind="generic", method="PUT", path="/x", status_code=200
        ),
        "sandbox.sandboxobject": SandboxObject.objects.create(kind="generic", collection="invoices", key="k1"),
    }
    selections: dict[str, list[Model]] = {"invoices.reconciliationitem": [item, local_ahead]}
    stored = [str(value) for values in CREDENTIALS.values() for value in values.values() if value]
    issued = [value for c in credentials.values() for value in (c.token, c.app_token, c.secret_key)]
    return World(
        accounts,
        others,
        invoices,
        orders,
        delivery,
        credentials,
        sessions,
        tuple([*stored, WEBHOOK_SECRET, *issued]),
        admin_objects,
        selections,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The matrix's data, created once; each test runs in a savepoint inside this transaction and is rolled back,
    so a request allowed to change something leaves the next case the same data."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# === Watching what a request writes ================================================================================
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_TOUCH = re.compile(
    rf'^\s*UPDATE\s+"?{ApiClient._meta.db_table}"?\s+SET\s+"?last_used_at"?\s*=\s*%s\s+WHERE', re.IGNORECASE
)
# Bookkeeping of authentication, not state: sessions, Rapyd request salts, a client's "last used" time.
BOOKKEEPING = {"django_session", ApiNonce._meta.db_table}


@dataclass
class Writes:
    tables: list[str] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        match = _WRITE.match(sql)
        if match and match.group(1) not in BOOKKEEPING and not _TOUCH.match(sql):
            self.tables.append(match.group(1))
        return execute(sql, params, many, context)


@contextmanager
def recording() -> Iterator[Writes]:
    writes = Writes()
    with connection.execute_wrapper(writes):
        yield writes


def table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def assert_wrote(writes: Writes, labels: tuple[str, ...], context: str) -> None:
    missing = [label for label in labels if table(label) not in writes.tables]
    assert not missing, f"{context}: allowed, but nothing written to {missing} (wrote {sorted(set(writes.tables))})"


def assert_nothing_written(writes: Writes, context: str, *, except_: tuple[str, ...] = ()) -> None:
    allowed = {table(label) for label in except_}
    unexpected = sorted({name for name in writes.tables if name not in allowed})
    assert not unexpected, f"{context}: refused, yet it wrote to {unexpected}"


def content_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def assert_no_secret(world: World, content: bytes, context: str) -> None:
    shown = [value for value in world.secrets if value.encode() in content]
    assert not shown, f"{context}: the answer shows a stored credential or an issued secret"


SUMMARY = b"ending in"  # the admin's summary of a stored credential: "set, ending in …abcd"


def browser(world: World, principal: P) -> Client:
    # A server error is an answer like any other here: the matrix reports its status rather than the traceback.
    client = Client(raise_request_exception=False)
    if principal in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[principal]
    return client


# === The admin matrix ==============================================================================================
@dataclass(frozen=True)
class AdminRequest:
    url: str
    data: dict[str, Any]
    category: C
    ok: tuple[int, ...]
    forbidden: int = 403
    login_redirect: str = "/admin/login/"
    effect: tuple[str, ...] = ()
    action: ActionRule | None = None


def _app_category(app_label: str) -> C:
    """An app's admin page opens to whoever may see one of its models."""
    views = [policy.view for label, policy in ADMIN_MODELS.items() if label.startswith(app_label + ".")]
    return min(views, key=CATEGORY_ORDER.index, default=C.NOBODY)


def _url_kwargs(world: World, pattern: URLPattern, target: AdminTarget) -> dict[str, Any]:
    values: dict[str, Any] = {}
    names = pattern.pattern.regex.groupindex
    for name in names:
        if name == "object_id" and "content_type_id" in names:
            values[name] = world.invoices["generic"].pk  # "view on site" of an invoice
        elif name in ("object_id", "id"):
            values[name] = world.admin_object(target.model).pk
        elif name == "index":
            values[name] = 0
        elif name == "content_type_id":
            values[name] = ContentType.objects.get_for_model(Invoice).pk
        elif name == "app_label":
            values[name] = target.app_label
        elif name == "url":
            values[name] = UNKNOWN_PATH + "/"
        else:
            raise AssertionError(f"no value for the URL parameter {name!r} of {target.id}: add one here")
    return values


def _url_request(world: World, target: AdminTarget, pattern: URLPattern, rule: UrlRule | None) -> AdminRequest:
    assert rule is not None, f"{target.id}: no policy entry (tests/security/authz_policy.py)"
    url = reverse(f"admin:{pattern.name}", kwargs=_url_kwargs(world, pattern, target)) if pattern.name else ""
    if not pattern.name:  # the admin site's unnamed catch-all
        url = reverse("admin:index") + UNKNOWN_PATH + "/"
    if rule.query:
        url += "?" + rule.query
    return AdminRequest(url, dict(rule.data), rule.category, rule.ok, rule.forbidden, rule.login_redirect, rule.effect)


def admin_request(world: World, target: AdminTarget) -> AdminRequest:
    if target.kind == "site":
        rules = ADMIN_SITE_URLS.get(target.name, {})
        rule = rules.get(target.method)
        if target.name == "app_list" and rule is not None:
            rule = UrlRule(_app_category(target.app_label), forbidden=rule.forbidden)
        pattern = dict(site_urls())[target.name]
        return _url_request(world, target, pattern, rule)

    policy = ADMIN_MODELS.get(target.model)
    assert policy is not None, f"{target.model}: no policy entry (tests/security/authz_policy.py)"
    prefix = "admin:" + target.model.replace(".", "_")
    obj = world.admin_object(target.model)
    changelist = reverse(f"{prefix}_changelist")

    if target.kind == "url":
        model_admin = admin.site._registry[apps.get_model(target.model)]
        pattern = next(p for p in custom_urls(target.model, model_admin) if p.name == target.name)
        return _url_request(world, target, pattern, policy.urls.get(target.name, {}).get(target.method))

    if target.kind == "action":
        action = policy.actions.get(target.name)
        assert action is not None, f"{target.id}: no policy entry (tests/security/authz_policy.py)"
        selected = [str(row.pk) for row in world.selected(target.model)]
        data: dict[str, Any] = {"action": target.name, "_selected_action": selected}
        if target.variant == "confirm" or not action.confirm:
            data["index"] = "0"  # as posted by the changelist's action bar
        else:
            data.update({"post": "yes", **action.data})  # as posted by the confirmation page
        ok = (200,) if target.variant == "confirm" else (302,)
        return AdminRequest(changelist, data, action.category, ok, action=action)

    view, post = target.name, target.method == "POST"
    if view == "changelist":
        return AdminRequest(changelist, {}, policy.view, (200,))
    if view == "object":
        return AdminRequest(f"{changelist}{obj.pk}/", {}, C.STAFF, (302,))
    if view == "add":
        return AdminRequest(reverse(f"{prefix}_add"), {}, policy.add, (200, 302) if post else (200,))
    url = reverse(f"{prefix}_{view}", args=[obj.pk])
    if view == "change":
        return AdminRequest(url, {}, policy.change if post else policy.view, (200, 302) if post else (200,))
    if view == "delete":
        if post:
            return AdminRequest(url, {"post": "yes"}, policy.delete, (302,), effect=(target.model,))
        return AdminRequest(url, {}, policy.delete, (200,))
    return AdminRequest(url, {}, policy.view, (200,))  # history


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _template(response: Any) -> str:
    return str(getattr(response, "template_name", "") or "")


def _assert_action_refused(response: Any, request: AdminRequest, principal: P, target: AdminTarget) -> None:
    """Refused: a 403; or, for someone who may see the list, Django's own refusal of an action it did not offer
    them (the list again, or back to it with "No action selected.")."""
    if response.status_code == 403:
        return
    may_see_list = ADMIN_MODELS[target.model].view in GRANTS[principal]
    assert may_see_list, f"{target.id} for {principal}: expected 403, got {response.status_code}"
    if response.status_code == 200:
        assert "change_list" in _template(response), f"{target.id} for {principal}: refused action showed a page"
    else:
        assert response.status_code == 302, f"{target.id} for {principal}: got {response.status_code}"
        assert response["Location"].split("?")[0] == request.url
        assert _messages(response) == ["No action selected."], _messages(response)


@pytest.mark.django_db
@pytest.mark.parametrize(("principal", "target"), ADMIN_CASES)
def test_admin(world: World, principal: P, target: AdminTarget) -> None:
    request = admin_request(world, target)
    expected = admin_expected(request.category, principal, ok=request.ok, forbidden=request.forbidden)
    client = browser(world, principal)
    context = f"{target.method} {request.url} ({target.id}) as {principal}"

    with recording() as writes:
        response = client.post(request.url, request.data) if target.method == "POST" else client.get(request.url)
        content = content_of(response)

    status = response.status_code
    if expected.outcome == Outcome.LOGIN:
        assert status == 302, f"{context}: expected the login page, got {status}"
        assert response["Location"].startswith(request.login_redirect), f"{context}: sent to {response['Location']}"
        assert_nothing_written(writes, context)
    elif expected.outcome == Outcome.REFUSE:
        if target.kind == "action":
            _assert_action_refused(response, request, principal, target)
        else:
            assert status in expected.statuses, f"{context}: expected {expected.statuses}, got {status}"
        assert_nothing_written(writes, context)
    else:
        assert status in expected.statuses, f"{context}: expected {expected.statuses}, got {status}"
        if status == 302:
            assert not response["Location"].startswith("/admin/login/"), f"{context}: sent to log in"
        assert_no_secret(world, content, context)
        if target.kind == "action":
            _assert_action_ran(response, request, writes, target, context)
        elif target.kind == "view" and target.name == "object":
            assert response["Location"].endswith(f"/{world.admin_object(target.model).pk}/change/")
        else:
            assert_wrote(writes, request.effect, context)
        if target.kind == "view" and target.name == "change" and target.method == "GET":
            summary_for = ADMIN_MODELS[target.model].secret_summary
            shows = SUMMARY in content
            assert shows == (summary_for in GRANTS[principal]), f"{context}: credential summary shown: {shows}"


def _assert_action_ran(response: Any, request: AdminRequest, writes: Writes, target: AdminTarget, ctx: str) -> None:
    assert request.action is not None
    if target.variant == "confirm":
        assert "change_list" not in _template(response), f"{ctx}: no confirmation page ({_template(response)})"
        assert_nothing_written(writes, ctx + " (confirmation page)")
        return
    shown = _messages(response)
    assert shown, f"{ctx}: the action said nothing"
    assert "No action selected." not in shown, f"{ctx}: Django did not run the action"
    assert_wrote(writes, request.action.effect, ctx)


# === The API matrix ================================================================================================
@dataclass
class Call:
    method: str
    path: str
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def full_path(self) -> str:
        return self.path + ("?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else "")


def subject(world: World, target: ApiTarget) -> Invoice | None:
    """The invoice a route acts on: it must stay as it was whenever the request is refused."""
    by_door = {"v1": "generic", "arcadier": "arcadier", "modulus": "modulus", "generic": "generic", "rapyd": "rapyd"}
    if target.door == "vtex":
        return world.invoices["vtex_open" if "<invoiceNumber>" in target.route else "vtex_draft"]
    key = by_door.get(target.door)
    return world.invoices[key] if key else None


def _kwarg(world: World, target: ApiTarget, pattern: URLPattern, name: str) -> str:
    if name == "pk":
        view_class: Any = getattr(pattern.callback, "cls", None)
        model = view_class.queryset.model if view_class is not None else Invoice
        return str(world.delivery.pk if model is Delivery else world.invoices["generic"].pk)
    if name == "invoiceId":
        return world.invoices["arcadier"].remote_number
    if name == "orderId":
        return world.orders["vtex_open" if "<invoiceNumber>" in target.route else "vtex_draft"]
    if name == "invoiceNumber":
        return world.invoices["vtex_open"].remote_number
    if name == "invoice":
        return world.invoices["rapyd"].remote_id
    if name == "account_id":
        return str(world.accounts[str(pattern.default_args["kind"])].pk)
    if name == "rest":
        return "v1/" + UNKNOWN_PATH
    raise AssertionError(f"no value for the URL parameter {name!r} of {target.route}: add one to _kwarg()")


def concrete_path(world: World, target: ApiTarget) -> str:
    pattern = api_patterns()[target.route]
    path = "/" + target.route.replace(".*", UNKNOWN_PATH)
    for name in re.findall(r"<(\w+)>", target.route):
        path = path.replace(f"<{name}>", _kwarg(world, target, pattern, name))
    path = path.removesuffix("/?") + "/" if path.endswith("/?") else path
    assert resolve(path).func is pattern.callback, f"{path} does not reach the view of {target.route}"
    return path


def _arcadier_payments(world: World) -> dict[str, Any]:
    invoice = world.invoices["arcadier"]
    data = [
        {
            "InvoiceNo": invoice.remote_number,
            "Payee": {"ID": order.payee_ref},
            "Payer": {"ID": order.payer_ref},
            "Order": {"ID": order.order_id},
            "Status": "Success",
            "Gateway": {"Code": "stripe"},
            "DateTimePaid": 0,
        }
        for order in invoice.orders.all()
    ]
    return {"data": data}


def _vtex_notification(world: World) -> dict[str, Any]:
    items = [{"id": "1234", "price": 10000, "quantity": 1}]
    body = {**vtex_mirror.SEED_INVOICE_NOTIFICATION, "invoiceNumber": world.invoices["vtex_draft"].number}
    return {k: v for k, v in {**body, "invoiceValue": "10000", "items": items}.items() if v is not None}


def _webhook_event(kind: str) -> dict[str, Any]:
    # Well-formed events the back-office acknowledges and does not act on: only the door is under test.
    now = int(time.time())
    events: dict[str, dict[str, Any]] = {
        "rapyd": {"id": f"wh_authz_{secrets.token_hex(4)}", "type": "CUSTOMER_CREATED", "created_at": now, "data": {}},
        "arcadier": {"Action": "order.created", "ID": f"evt-authz-{secrets.token_hex(4)}", "CreatedDateTime": now},
        "vtex": {"hookConfig": "ping"},
    }
    return events[kind]


def request_body(world: World, target: ApiTarget) -> bytes:
    """A body the route accepts from an allowed caller (also sent by every other principal)."""
    if target.method in ("GET", "OPTIONS", "HEAD"):
        return b""
    route, door = target.route, target.door
    body: Any = None
    if route == "api/v1/invoices/":
        body = {
            "account": world.accounts["generic"].pk,
            "number": "AUTHZ-NEW-1",
            "customer_name": "Grace Hopper",
            "currency": "EUR",
            "issue_date": "2026-11-01",
        }
    elif route == "api/v1/invoices/<pk>/":
        body = {"courier": "DHL"}
    elif route.endswith("/transitions/"):
        body = {"to_status": "open", "reason": "authorization matrix"}
    elif route.endswith("/emails/"):
        body = {}
    elif door == "arcadier":
        body = _arcadier_payments(world)
    elif door == "modulus":
        invoice = world.invoices["modulus"]
        body = {
            "customer_details": {
                "invoice_id": invoice.remote_id,
                "status": "STATUS_SENT",
                "invoice_number": invoice.remote_number,
            }
        }
    elif door == "generic":
        return (SEEDS / "generic_update_full.json").read_bytes()
    elif door == "vtex":
        body = vtex_mirror.SEED_TRACKING_UPDATE if "<invoiceNumber>" in route else _vtex_notification(world)
    elif door == "rapyd":
        body = {"description": "authorization matrix"}
    elif door == "webhooks":
        body = _webhook_event(str(api_patterns()[route].default_args["kind"]))
    return b"" if body is None else json.dumps(body).encode()


def _rapyd_signature(to_sign: str, secret_key: str) -> str:
    """Rapyd's documented signature, written out: base64 of the hex digest of HMAC-SHA256."""
    digest = hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


@dataclass(frozen=True)
class Keys:
    token: str
    app_key: str
    app_token: str
    access_key: str
    secret_key: str


def keys_of(world: World, principal: P) -> Keys | None:
    """What the principal presents: issued credentials, made-up ones, or (the platform) its own secrets."""
    if principal in world.credentials:
        issued = world.credentials[principal]
        return Keys(issued.token, issued.app_key, issued.app_token, issued.access_key, issued.secret_key)
    operator = world.credentials[P.CLIENT_OPERATOR]
    if principal == P.WRONG_CREDENTIALS:
        # Real key ids with wrong secrets where a key pair is used: the secret is what must be checked.
        made_up = secrets.token_urlsafe(32)
        return Keys(made_up, operator.app_key, made_up, operator.access_key, "sk_" + made_up)
    if principal == P.PROVIDER:
        rapyd = CREDENTIALS["rapyd"]
        return Keys(WEBHOOK_SECRET, WEBHOOK_SECRET, WEBHOOK_SECRET, str(rapyd["access_key"]), str(rapyd["secret_key"]))
    return None


def present(call: Call, world: World, principal: P, door: str) -> None:
    """Put the principal's credentials on the call, in the door's own style (sessions travel as cookies)."""
    keys = keys_of(world, principal)
    if keys is None:
        return
    salt, stamp = secrets.token_hex(6), str(int(time.time()))
    if door in ("v1", "docs"):
        call.headers["Authorization"] = f"Token {keys.token}"
    elif door in ("arcadier", "generic"):
        call.headers["Authorization"] = f"Bearer {keys.token}"
    elif door == "modulus":
        call.query["token"] = keys.token
    elif door == "vtex":
        call.headers.update({"X-VTEX-API-AppKey": keys.app_key, "X-VTEX-API-AppToken": keys.app_token})
    elif door == "rapyd":
        full = call.full_path
        signed_path = full[full.find("/v1/") :]
        to_sign = f"{call.method.lower()}{signed_path}{salt}{stamp}{keys.access_key}{keys.secret_key}"
        signature = _rapyd_signature(to_sign + call.body.decode(), keys.secret_key)
        call.headers.update({"access_key": keys.access_key, "salt": salt, "timestamp": stamp, "signature": signature})
    elif door == "webhooks":
        if principal not in (P.PROVIDER, P.WRONG_CREDENTIALS):
            call.headers["Authorization"] = f"Bearer {keys.token}"  # an API client is not the platform
        elif "/webhooks/rapyd/" in call.path:
            secret = keys.secret_key
            to_sign = f"http://testserver{call.full_path}{salt}{stamp}{keys.access_key}{secret}{call.body.decode()}"
            signature = _rapyd_signature(to_sign, secret)
            call.headers.update({"salt": salt, "timestamp": stamp, "signature": signature})
        else:
            call.headers[WEBHOOK_HEADER] = keys.app_token if principal == P.PROVIDER else "whsec-guessed"
    else:
        raise AssertionError(f"no credentials style for the door {door!r}")


def _listed(response: Any) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def _max_pk(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(last=Max("pk"))["last"] or 0)


@pytest.mark.django_db
@pytest.mark.parametrize(("principal", "target"), API_CASES)
def test_api(world: World, principal: P, target: ApiTarget) -> None:
    rule = API_ROUTES.get(target.route, {}).get(target.method)
    assert rule is not None, f"{target.id}: no policy entry (tests/security/authz_policy.py)"
    assert target.door in DOORS, f"{target.route}: no door in DOOR_PREFIXES"
    expected = api_expected(target.door, rule, principal)
    call = Call(target.method, concrete_path(world, target), request_body(world, target))
    present(call, world, principal, target.door)
    invoice = subject(world, target)
    version = invoice.version if invoice else None
    last_invoice, last_event = _max_pk(Invoice), _max_pk(WebhookEvent)
    context = f"{target.method} {call.full_path} as {principal}"

    with recording() as writes:
        response = browser(world, principal).generic(
            call.method, call.full_path, call.body, content_type="application/json", headers=call.headers
        )
        content = content_of(response)

    status = response.status_code
    assert_no_secret(world, content, context)
    assert status in expected.statuses, f"{context}: expected {expected.statuses}, got {status}: {response.content!r}"
    door = DOORS[target.door]
    new_events = WebhookEvent.objects.filter(pk__gt=last_event)
    if expected.outcome == Outcome.REFUSE:
        assert_nothing_written(writes, context, except_=door.records_refusals)
        assert not new_events.filter(valid=True).exists(), f"{context}: a refused webhook was accepted"
        if door.records_refusals and target.method == "POST":
            assert new_events.filter(valid=False).exists(), f"{context}: the refused delivery was not kept"
        if target.door == "v1":
            assert set(response.json()) == {"error"}, f"{context}: not the API's error envelope"
    elif expected.outcome == Outcome.OUT_OF_SCOPE:
        _assert_out_of_scope(world, rule, principal, response, writes, context, invoice, last_invoice)
    else:
        assert_wrote(writes, rule.effect, context)
        if rule.effect == ("invoices.webhookevent",):
            assert new_events.filter(valid=True).exists(), f"{context}: the webhook was not accepted"
        if rule.scope == Scope.LIST and invoice is not None:
            assert invoice.pk in _listed(response), f"{context}: the invoice is missing from the list"
        if rule.category in (C.ANYONE, C.CALLER):
            assert_nothing_written(writes, context)
    if invoice is not None and expected.outcome != Outcome.ALLOW:
        assert Invoice.objects.get(pk=invoice.pk).version == version, f"{context}: the invoice changed"


def _assert_out_of_scope(
    world: World,
    rule: ApiRule,
    principal: P,
    response: Any,
    writes: Writes,
    context: str,
    invoice: Invoice | None,
    last_invoice: int,
) -> None:
    """A client acting on an object outside its accounts: as if the object did not exist for it."""
    if rule.scope == Scope.OWN:
        # VTEX's notification of an order unknown in the client's accounts creates the invoice there, and only there.
        created = Invoice.objects.filter(pk__gt=last_invoice)
        own = set(world.credentials[principal].client.accounts.values_list("pk", flat=True))
        assert created.exists(), f"{context}: no invoice created"
        assert set(created.values_list("account_id", flat=True)) <= own, f"{context}: created outside its accounts"
        return
    assert_nothing_written(writes, context)
    if rule.scope == Scope.LIST:
        assert invoice is not None
        assert invoice.pk not in _listed(response), f"{context}: lists another's invoice"
    if rule.scope == Scope.CREATE:
        assert "account" in response.json()["error"]["fields"], f"{context}: not refused for its account"


# === Completeness and size =========================================================================================
def test_every_admin_model_action_and_url_has_a_policy_entry() -> None:
    registered = dict(_model_admins())
    problems = [f"ModelAdmin {label}: no entry in ADMIN_MODELS" for label in registered if label not in ADMIN_MODELS]
    problems += [f"ADMIN_MODELS[{label!r}]: no such ModelAdmin" for label in ADMIN_MODELS if label not in registered]
    for label, model_admin in registered.items():
        policy = ADMIN_MODELS.get(label)
        if policy is None:
            continue
        actions = set(base_actions(model_admin))
        problems += [f"{label}: action {name!r} has no policy" for name in sorted(actions - set(policy.actions))]
        problems += [f"{label}: policy for missing action {name!r}" for name in sorted(set(policy.actions) - actions)]
        urls = {str(p.name) for p in custom_urls(label, model_admin)}
        problems += [f"{label}: URL {name!r} has no policy" for name in sorted(urls - set(policy.urls))]
        problems += [f"{label}: policy for missing URL {name!r}" for name in sorted(set(policy.urls) - urls)]
    names = {name for name, _ in site_urls()}
    problems += [f"admin site view {name!r} has no policy" for name in sorted(names - set(ADMIN_SITE_URLS))]
    problems += [f"policy for missing admin site view {name!r}" for name in sorted(set(ADMIN_SITE_URLS) - names)]
    assert not problems, "\n".join(problems)


def test_every_api_route_and_method_has_a_policy_entry() -> None:
    served = {(target.route, target.method) for target in API_TARGETS}
    listed = {(route, method) for route, methods in API_ROUTES.items() for method in methods}
    problems = [f"{route} {method}: no entry in API_ROUTES" for route, method in sorted(served - listed)]
    problems += [f"API_ROUTES[{route!r}][{method!r}]: not served" for route, method in sorted(listed - served)]
    problems += [f"{target.route}: no door in DOOR_PREFIXES" for target in API_TARGETS if not target.door]
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_every_principal_and_the_product_surface(capsys: pytest.CaptureFixture[str]) -> None:
    admin_by_principal = Counter(str(case.values[0]) for case in ADMIN_CASES)
    api_by_principal = Counter(str(case.values[0]) for case in API_CASES)
    lines = [
        f"authorization matrix: {len(ADMIN_CASES)} admin cases ({len(ADMIN_TARGETS)} targets) + "
        f"{len(API_CASES)} API cases ({len(API_TARGETS)} route/methods) = {len(ADMIN_CASES) + len(API_CASES)}",
        *(f"  {p:<18} admin {admin_by_principal[p]:>4}  API {api_by_principal[p]:>4}" for p in API_PRINCIPALS),
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    # Every principal meets every target; the surface is what the product registers, at least as known today.
    assert set(admin_by_principal.values()) == {len(ADMIN_TARGETS)}
    assert set(api_by_principal.values()) == {len(API_TARGETS)}
    assert len({label for label, _ in _model_admins()}) == len({t.model for t in ADMIN_TARGETS if t.model})
    assert {t.door for t in API_TARGETS} == set(DOORS)


def test_the_expected_outcomes_follow_the_readme_roles() -> None:
    """The decision table itself, on a few cases the README states in words."""

    def outcome(expected: Expected) -> tuple[str, tuple[int, ...]]:
        return expected.outcome.value, expected.statuses

    assert outcome(admin_expected(C.VIEW, P.VIEWER, ok=(200,))) == ("allow", (200,))
    assert outcome(admin_expected(C.OPERATE, P.VIEWER, ok=(200,))) == ("refuse", (403,))
    assert outcome(admin_expected(C.ADMINISTER, P.OPERATOR, ok=(200,))) == ("refuse", (403,))
    assert outcome(admin_expected(C.NOBODY, P.SUPERUSER, ok=(200,))) == ("refuse", (403,))
    assert outcome(admin_expected(C.VIEW, P.NONSTAFF, ok=(200,))) == ("login", (302,))
    v1_change = API_ROUTES["api/v1/invoices/<pk>/"]["PATCH"]
    assert outcome(api_expected("v1", v1_change, P.CLIENT_VIEWER)) == ("refuse", (403,))
    assert outcome(api_expected("v1", v1_change, P.CLIENT_FOREIGN)) == ("out-of-scope", (404,))
    assert outcome(api_expected("v1", v1_change, P.ANONYMOUS)) == ("refuse", (401,))
    assert outcome(api_expected("v1", v1_change, P.NONSTAFF)) == ("refuse", (403,))
    rapyd = API_ROUTES["api/rapyd/v1/invoices/<invoice>"]["POST"]
    assert outcome(api_expected("rapyd", rapyd, P.OPERATOR)) == ("refuse", (401,))  # sessions do not open mirrors
    assert outcome(api_expected("rapyd", rapyd, P.CLIENT_VIEWER)) == ("refuse", (401,))
    hook = API_ROUTES["api/webhooks/rapyd/<account_id>/?"]["POST"]
    assert outcome(api_expected("webhooks", hook, P.CLIENT_OPERATOR)) == ("refuse", (401,))
    assert outcome(api_expected("webhooks", hook, P.PROVIDER)) == ("allow", (200,))
