"""The authorization policy the matrix in test_authorization_matrix.py checks the product against.

Written from the README (the role table, "REST API", "Provider-compatible mirrors", "Webhooks from the platforms")
and the role groups of invoices/roles.py, never from the product's own permission checks: the matrix asks the
product what it does and this module says what it should do.

Principals are the kinds of caller; categories name what a target needs; each role grants a set of categories.
Every admin page, admin action, custom admin URL and API route/method must have an entry here: the matrix fails
for any that has none (and for any entry left behind by a target that no longer exists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


# --- Principals -------------------------------------------------------------------------------------------------
class P(StrEnum):
    ANONYMOUS = "anonymous"
    NONSTAFF = "nonstaff"  # logged in, not staff; holds the operator group, which must not open any door
    STAFF = "staff"  # staff, in no role group
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"
    SUPERUSER = "superuser"
    WRONG_CREDENTIALS = "wrong-credentials"  # credentials the back-office never issued (or a forged signature)
    CLIENT_INACTIVE = "client-inactive"  # real credentials of a deactivated API client
    CLIENT_VIEWER = "client-viewer"  # API client, role viewer, linked to the object's account
    CLIENT_OPERATOR = "client-operator"  # API client, role operator, linked to the object's account
    CLIENT_FOREIGN = "client-foreign"  # API client, role operator, linked only to other accounts of each kind
    PROVIDER = "provider"  # the platform itself: the account's webhook signature or secret header


SESSION_PRINCIPALS = (P.ANONYMOUS, P.NONSTAFF, P.STAFF, P.VIEWER, P.OPERATOR, P.ADMINISTRATOR, P.SUPERUSER)
ADMIN_PRINCIPALS = SESSION_PRINCIPALS
API_PRINCIPALS = (
    *SESSION_PRINCIPALS,
    P.WRONG_CREDENTIALS,
    P.CLIENT_INACTIVE,
    P.CLIENT_VIEWER,
    P.CLIENT_OPERATOR,
    P.CLIENT_FOREIGN,
    P.PROVIDER,
)
CLIENT_PRINCIPALS = (P.CLIENT_VIEWER, P.CLIENT_OPERATOR, P.CLIENT_FOREIGN, P.CLIENT_INACTIVE)


# --- Categories: what a target needs -----------------------------------------------------------------------------
class C(StrEnum):
    ANYONE = "anyone"  # every principal gets the same answer (rule.ok): public pages, catch-alls, 405s
    CALLER = "caller"  # any principal the door authenticates, whatever its role
    STAFF = "staff"  # any active staff user, whatever the role (the admin's index, password change)
    VIEW = "view"  # README viewer: invoices, lines, orders, history, provider accounts, deliveries, emails
    OPERATE = "operate"  # README operator: edit invoices, change status, push, send emails, test/pause, retry
    ADMINISTER = "administer"  # README administrator: provider accounts and credentials, API clients, sandbox
    SUPERUSER = "superuser"  # outside every role: users, groups, Celery beat's schedules
    NOBODY = "nobody"  # refused to everyone, superusers included (append-only records, invoices are voided)
    PROVIDER = "provider"  # only the platform, by its webhook signature or secret


# Roles nest: each grants what the one below it does, and more (README, "Roles").
GRANTS: dict[P, frozenset[C]] = {
    P.ANONYMOUS: frozenset(),
    P.NONSTAFF: frozenset(),
    P.STAFF: frozenset({C.STAFF}),
    P.VIEWER: frozenset({C.STAFF, C.VIEW}),
    P.OPERATOR: frozenset({C.STAFF, C.VIEW, C.OPERATE}),
    P.ADMINISTRATOR: frozenset({C.STAFF, C.VIEW, C.OPERATE, C.ADMINISTER}),
    P.SUPERUSER: frozenset({C.STAFF, C.VIEW, C.OPERATE, C.ADMINISTER, C.SUPERUSER}),
    # API clients: viewer reads; operator also changes, pushes, emails (README, "Roles", last paragraph).
    P.CLIENT_VIEWER: frozenset({C.VIEW}),
    P.CLIENT_OPERATOR: frozenset({C.VIEW, C.OPERATE}),
    P.CLIENT_FOREIGN: frozenset({C.VIEW, C.OPERATE}),
    P.CLIENT_INACTIVE: frozenset(),
    P.WRONG_CREDENTIALS: frozenset(),
    P.PROVIDER: frozenset({C.PROVIDER}),
}
# Most to least permissive, for pages that open when any of their models may be seen (the admin's app pages).
CATEGORY_ORDER = (C.VIEW, C.OPERATE, C.ADMINISTER, C.SUPERUSER, C.NOBODY)


# --- The admin ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionRule:
    """An admin action. `confirm`: the first post shows a confirmation page and changes nothing; a post with
    `post=yes` (and `data`) applies it. `effect`: models the applied action must write (none: its messages say
    what it did, e.g. a lifecycle refusal or a connection test)."""

    category: C
    confirm: bool
    effect: tuple[str, ...] = ()
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UrlRule:
    """A custom admin URL (or a view of the admin site) for one method."""

    category: C
    ok: tuple[int, ...] = (200,)
    effect: tuple[str, ...] = ()
    data: dict[str, str] = field(default_factory=dict)
    query: str = ""
    forbidden: int = 403  # the answer to a staff user without the category
    login_redirect: str = "/admin/login/"  # where a visitor who is not staff is sent


@dataclass(frozen=True)
class ModelPolicy:
    """One ModelAdmin: who may list/see (`view`, also the history), add, change and delete; its actions and its
    URLs beyond Django's standard ones, by URL name and method."""

    view: C
    add: C
    change: C
    delete: C
    actions: dict[str, ActionRule]
    urls: dict[str, dict[str, UrlRule]] = field(default_factory=dict)
    # Who sees the stored credentials' summary ("set, ending in …abcd") on the change page; the values, nobody.
    secret_summary: C = C.NOBODY


REASON = {"reason": "authorization matrix"}


def _deletable(category: C, model: str) -> dict[str, ActionRule]:
    return {"delete_selected": ActionRule(category, confirm=True, effect=(model,))}


def _read_only(view: C) -> dict[str, Any]:
    """Records the services or the relay write; staff read them (the README: history is append-only)."""
    return {"view": view, "add": C.NOBODY, "change": C.NOBODY, "delete": C.NOBODY}


def _superuser_only(model: str, **actions: ActionRule) -> ModelPolicy:
    return ModelPolicy(
        C.SUPERUSER, C.SUPERUSER, C.SUPERUSER, C.SUPERUSER, {**_deletable(C.SUPERUSER, model), **actions}
    )


_STATUS_ACTIONS = {
    # Only the moves the lifecycle allows from a draft write history; the others end in the lifecycle's refusal.
    f"mark_{status}": ActionRule(
        C.OPERATE,
        confirm=True,
        effect=("invoices.statuschange",) if status in ("open", "void") else (),
        data={"to_status": status, **REASON},
    )
    for status in ("open", "paid", "uncollectible", "void", "refunded")
}

ADMIN_MODELS: dict[str, ModelPolicy] = {
    # Users and groups: no role manages them (README: roles are groups given to staff; only superusers assign).
    "auth.group": _superuser_only("auth.group"),
    "auth.user": ModelPolicy(
        C.SUPERUSER,
        C.SUPERUSER,
        C.SUPERUSER,
        C.SUPERUSER,
        _deletable(C.SUPERUSER, "auth.user"),
        urls={"auth_user_password_change": {"GET": UrlRule(C.SUPERUSER), "POST": UrlRule(C.SUPERUSER)}},
    ),
    # Celery beat's schedules: infrastructure, in no role.
    "django_celery_beat.periodictask": _superuser_only(
        "django_celery_beat.periodictask",
        enable_tasks=ActionRule(C.SUPERUSER, confirm=False, effect=("django_celery_beat.periodictask",)),
        disable_tasks=ActionRule(C.SUPERUSER, confirm=False, effect=("django_celery_beat.periodictask",)),
        toggle_tasks=ActionRule(C.SUPERUSER, confirm=False, effect=("django_celery_beat.periodictask",)),
        run_tasks=ActionRule(C.SUPERUSER, confirm=False),
    ),
    "django_celery_beat.clockedschedule": _superuser_only("django_celery_beat.clockedschedule"),
    "django_celery_beat.crontabschedule": _superuser_only("django_celery_beat.crontabschedule"),
    "django_celery_beat.solarschedule": _superuser_only("django_celery_beat.solarschedule"),
    "django_celery_beat.intervalschedule": _superuser_only("django_celery_beat.intervalschedule"),
    # Invoices: viewers see them; operators create, edit, change status, push, email, reconcile. Never deleted.
    "invoices.invoice": ModelPolicy(
        C.VIEW,
        C.OPERATE,
        C.OPERATE,
        C.NOBODY,
        {
            **_deletable(C.NOBODY, "invoices.invoice"),
            **_STATUS_ACTIONS,
            "push_to_provider": ActionRule(C.OPERATE, confirm=True, effect=("invoices.delivery",)),
            "send_email": ActionRule(C.OPERATE, confirm=True, effect=("invoices.invoiceemail",)),
            "reconcile_with_provider": ActionRule(C.OPERATE, confirm=False, effect=("invoices.reconciliation",)),
        },
        urls={
            "invoices_invoice_dashboard": {"GET": UrlRule(C.VIEW)},
            "invoices_invoice_export": {"GET": UrlRule(C.VIEW)},
            "invoices_invoice_change_status": {
                "GET": UrlRule(C.OPERATE),
                "POST": UrlRule(
                    C.OPERATE, ok=(302,), effect=("invoices.statuschange",), data={"to_status": "open", **REASON}
                ),
            },
            "invoices_invoice_push": {
                "GET": UrlRule(C.OPERATE),
                "POST": UrlRule(C.OPERATE, ok=(302,), effect=("invoices.delivery",)),
            },
        },
    ),
    "invoices.statuschange": ModelPolicy(**_read_only(C.VIEW), actions=_deletable(C.NOBODY, "invoices.statuschange")),
    "invoices.delivery": ModelPolicy(
        **_read_only(C.VIEW),
        actions={
            **_deletable(C.NOBODY, "invoices.delivery"),
            "retry": ActionRule(C.OPERATE, confirm=True, effect=("invoices.delivery",)),
            "cancel": ActionRule(C.OPERATE, confirm=True, effect=("invoices.delivery",)),
        },
        urls={
            "invoices_delivery_retry": {
                "GET": UrlRule(C.OPERATE),
                "POST": UrlRule(C.OPERATE, ok=(302,), effect=("invoices.delivery",)),
            },
            "invoices_delivery_cancel": {
                "GET": UrlRule(C.OPERATE),
                "POST": UrlRule(C.OPERATE, ok=(302,), effect=("invoices.delivery",)),
            },
        },
    ),
    "invoices.invoiceemail": ModelPolicy(
        **_read_only(C.VIEW),
        actions={
            **_deletable(C.NOBODY, "invoices.invoiceemail"),
            "resend": ActionRule(C.OPERATE, confirm=True, effect=("invoices.invoiceemail",)),
        },
    ),
    "invoices.storedemail": ModelPolicy(
        **_read_only(C.VIEW),
        actions=_deletable(C.NOBODY, "invoices.storedemail"),
        urls={
            "invoices_storedemail_message": {"GET": UrlRule(C.VIEW)},
            "invoices_storedemail_attachment": {"GET": UrlRule(C.VIEW)},
            "invoices_storedemail_raw": {"GET": UrlRule(C.VIEW)},
        },
    ),
    "invoices.webhookevent": ModelPolicy(
        **_read_only(C.VIEW),
        actions={
            **_deletable(C.NOBODY, "invoices.webhookevent"),
            "reprocess": ActionRule(C.OPERATE, confirm=True, effect=("invoices.webhookevent",)),
        },
    ),
    "invoices.reconciliation": ModelPolicy(
        **_read_only(C.VIEW), actions=_deletable(C.NOBODY, "invoices.reconciliation")
    ),
    "invoices.reconciliationitem": ModelPolicy(
        **_read_only(C.VIEW),
        actions={
            **_deletable(C.NOBODY, "invoices.reconciliationitem"),
            "adopt_remote": ActionRule(C.OPERATE, confirm=True, effect=("invoices.statuschange",)),
            "push_local": ActionRule(C.OPERATE, confirm=True, effect=("invoices.delivery",)),
        },
    ),
    # API clients: administrators only; issued by a command, never added here, deactivated rather than deleted.
    "invoices.apiclient": ModelPolicy(
        C.ADMINISTER,
        C.NOBODY,
        C.ADMINISTER,
        C.NOBODY,
        {
            **_deletable(C.NOBODY, "invoices.apiclient"),
            "deactivate": ActionRule(C.ADMINISTER, confirm=False, effect=("invoices.apiclient",)),
        },
    ),
    # Provider accounts: everyone with a role sees them; operators test and pause them; administrators manage them.
    "providers.provideraccount": ModelPolicy(
        C.VIEW,
        C.ADMINISTER,
        C.ADMINISTER,
        C.ADMINISTER,
        {
            **_deletable(C.ADMINISTER, "providers.provideraccount"),
            "check_connection": ActionRule(C.OPERATE, confirm=False),
            "pause_deliveries": ActionRule(C.OPERATE, confirm=False, effect=("providers.provideraccount",)),
            # The account under test is running: resuming it changes nothing, and says so.
            "resume_deliveries": ActionRule(C.OPERATE, confirm=False),
        },
        secret_summary=C.ADMINISTER,  # README: only administrators set credentials
    ),
    # The sandbox: administrators. Its fault settings are managed (added, edited); deleting one is in no role.
    "sandbox.sandboxfault": ModelPolicy(
        C.ADMINISTER, C.ADMINISTER, C.ADMINISTER, C.SUPERUSER, _deletable(C.SUPERUSER, "sandbox.sandboxfault")
    ),
    "sandbox.sandboxrequest": ModelPolicy(
        **_read_only(C.ADMINISTER), actions=_deletable(C.NOBODY, "sandbox.sandboxrequest")
    ),
    "sandbox.sandboxobject": ModelPolicy(
        **_read_only(C.ADMINISTER), actions=_deletable(C.NOBODY, "sandbox.sandboxobject")
    ),
}

# Django's own pages of the admin site, by URL name (the unnamed last pattern by its view's name). "app_list" is
# computed per app from ADMIN_MODELS: it opens to whoever may see one of the app's models, and is a 404 otherwise.
ADMIN_SITE_URLS: dict[str, dict[str, UrlRule]] = {
    "index": {"GET": UrlRule(C.STAFF)},
    # Anyone may see the login form; a signed-in staff user is sent on to the index.
    "login": {"GET": UrlRule(C.ANYONE, ok=(200, 302))},
    # Logging out is for staff; anyone else is sent to the index (which then asks them to log in).
    "logout": {"POST": UrlRule(C.STAFF, login_redirect="/admin/")},
    "password_change": {"GET": UrlRule(C.STAFF)},
    "password_change_done": {"GET": UrlRule(C.STAFF)},
    # Django's autocomplete answers whoever may see the related model: asked for the API clients behind the
    # history's "actor client", it must answer administrators only (API clients are theirs to see).
    "autocomplete": {
        "GET": UrlRule(
            C.ADMINISTER, query="app_label=invoices&model_name=statuschange&field_name=actor_client&term=authz"
        )
    },
    "jsi18n": {"GET": UrlRule(C.STAFF)},
    # No model has a public URL ("view on site"): staff get a 404, others the login page.
    "view_on_site": {"GET": UrlRule(C.STAFF, ok=(404,))},
    "app_list": {"GET": UrlRule(C.VIEW, forbidden=404)},
    "catch_all_view": {"GET": UrlRule(C.STAFF, ok=(404,))},
}


# --- The API -----------------------------------------------------------------------------------------------------
class Scope(StrEnum):
    """What a client linked only to other accounts (CLIENT_FOREIGN) gets for a route it has the role for."""

    NONE = "none"  # the route names no object
    DETAIL = "detail"  # refused in the door's out-of-scope status (as if the object did not exist)
    LIST = "list"  # answered, without the object
    CREATE = "create"  # creating in an account it is not linked to is a validation error (400)
    OWN = "own"  # VTEX's notification creates the invoice of an order unknown in the client's own accounts


@dataclass(frozen=True)
class Door:
    """How a family of routes authenticates and how it says no (README, "REST API")."""

    sessions: bool  # a staff session is a caller here
    missing: int  # no credentials at all
    invalid: int  # credentials we did not issue, of a deactivated client, or a webhook secret offered as a token
    forbidden: int  # a known caller without the role
    out_of_scope: int  # a known caller acting on an object outside its accounts
    records_refusals: tuple[str, ...] = ()  # models a refused request is still recorded in (as refused)


DOORS: dict[str, Door] = {
    "v1": Door(sessions=True, missing=401, invalid=401, forbidden=403, out_of_scope=404),
    "arcadier": Door(sessions=False, missing=401, invalid=401, forbidden=403, out_of_scope=404),
    # modulus answers a call without its ?token= 400 ("token required"), an unknown token 401, an invoice it does
    # not know 400 ("Invoice not found.").
    "modulus": Door(sessions=False, missing=400, invalid=401, forbidden=403, out_of_scope=400),
    "generic": Door(sessions=False, missing=401, invalid=401, forbidden=403, out_of_scope=404),
    "vtex": Door(sessions=False, missing=401, invalid=401, forbidden=403, out_of_scope=404),
    # Rapyd answers a read-only key 401 UNAUTHORIZED, as Rapyd does.
    "rapyd": Door(sessions=False, missing=401, invalid=401, forbidden=401, out_of_scope=404),
    # Webhooks: only the platform's signature or secret opens them; every delivery is kept, refused ones as invalid.
    "webhooks": Door(
        sessions=False,
        missing=401,
        invalid=401,
        forbidden=401,
        out_of_scope=401,
        records_refusals=("invoices.webhookevent",),
    ),
    "docs": Door(sessions=False, missing=200, invalid=200, forbidden=200, out_of_scope=200),
}
DOOR_PREFIXES: dict[str, str] = {
    "api/v1/": "v1",
    "api/arcadier/": "arcadier",
    "api/modulus/": "modulus",
    "api/generic/": "generic",
    "api/vtex/": "vtex",
    "api/rapyd/": "rapyd",
    "api/webhooks/": "webhooks",
    "api/schema/": "docs",
    "api/docs/": "docs",
}


@dataclass(frozen=True)
class ApiRule:
    category: C
    ok: tuple[int, ...]
    scope: Scope = Scope.NONE
    effect: tuple[str, ...] = ()


# OPTIONS describes an endpoint (its name, and where the OpenAPI description is): what /api/schema/ publishes.
V1_METADATA = ApiRule(C.CALLER, ok=(200,))
PUBLIC_METADATA = ApiRule(C.ANYONE, ok=(200,))
NOT_FOUND = ApiRule(C.ANYONE, ok=(404,))
# The mirrors' accounts are paused in the matrix's data: an accepted change is recorded and answered 202.
QUEUED = (202,)


def _v1(category: C, ok: int, scope: Scope, *effect: str) -> ApiRule:
    return ApiRule(category, (ok,), scope, effect)


def _mirror(*effect: str, scope: Scope = Scope.DETAIL) -> ApiRule:
    return ApiRule(C.OPERATE, QUEUED, scope, effect)


def _webhook() -> dict[str, ApiRule]:
    return {
        "GET": ApiRule(C.ANYONE, ok=(405,)),
        "POST": ApiRule(C.PROVIDER, ok=(200,), effect=("invoices.webhookevent",)),
    }


_VTEX_NOTIFY = {"POST": _mirror("invoices.statuschange", scope=Scope.OWN)}
_VTEX_TRACK = {"PATCH": _mirror("invoices.invoice")}
_GENERIC_UPDATE = {"PUT": _mirror("invoices.invoice"), "OPTIONS": PUBLIC_METADATA}

# Route (as the URL resolver spells it, groups written <name>) → method → rule.
API_ROUTES: dict[str, dict[str, ApiRule]] = {
    "api/v1/invoices/": {
        "GET": _v1(C.VIEW, 200, Scope.LIST),
        "POST": _v1(C.OPERATE, 201, Scope.CREATE, "invoices.invoice"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/invoices/<pk>/": {
        "GET": _v1(C.VIEW, 200, Scope.DETAIL),
        "PATCH": _v1(C.OPERATE, 200, Scope.DETAIL, "invoices.invoice"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/invoices/<pk>/transitions/": {
        "POST": _v1(C.OPERATE, 200, Scope.DETAIL, "invoices.statuschange"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/invoices/<pk>/history/": {"GET": _v1(C.VIEW, 200, Scope.DETAIL), "OPTIONS": V1_METADATA},
    "api/v1/invoices/<pk>/deliveries/": {"GET": _v1(C.VIEW, 200, Scope.DETAIL), "OPTIONS": V1_METADATA},
    "api/v1/invoices/<pk>/push/": {
        "POST": _v1(C.OPERATE, 202, Scope.DETAIL, "invoices.delivery"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/invoices/<pk>/emails/": {
        "POST": _v1(C.OPERATE, 202, Scope.DETAIL, "invoices.invoiceemail"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/deliveries/<pk>/": {"GET": _v1(C.VIEW, 200, Scope.DETAIL), "OPTIONS": V1_METADATA},
    "api/v1/deliveries/<pk>/retry/": {
        "POST": _v1(C.OPERATE, 202, Scope.DETAIL, "invoices.delivery"),
        "OPTIONS": V1_METADATA,
    },
    "api/v1/.*": {"GET": NOT_FOUND, "POST": NOT_FOUND},
    "api/arcadier/invoice/<invoiceId>": {
        "PUT": _mirror("invoices.invoiceorder", "invoices.statuschange", "invoices.delivery"),
        "POST": _mirror("invoices.invoiceorder", "invoices.statuschange", "invoices.delivery"),
        "OPTIONS": PUBLIC_METADATA,
    },
    "api/arcadier/email/<invoiceId>": {"GET": _mirror("invoices.delivery"), "OPTIONS": PUBLIC_METADATA},
    "api/modulus/inv/v1/Invoice": {"PATCH": _mirror("invoices.statuschange"), "OPTIONS": PUBLIC_METADATA},
    "api/generic/v1/Invoice/Update": _GENERIC_UPDATE,
    "api/generic/api/v1/Invoice/Update": _GENERIC_UPDATE,
    "api/vtex/oms/pvt/orders/<orderId>/invoice": _VTEX_NOTIFY,
    "api/vtex/oms/pvt/orders/<orderId>/invoice/<invoiceNumber>": _VTEX_TRACK,
    "api/vtex/api/oms/pvt/orders/<orderId>/invoice": _VTEX_NOTIFY,
    "api/vtex/api/oms/pvt/orders/<orderId>/invoice/<invoiceNumber>": _VTEX_TRACK,
    "api/vtex/": {"GET": NOT_FOUND, "POST": NOT_FOUND},
    "api/rapyd/v1/invoices/<invoice>": {"POST": _mirror("invoices.invoice"), "OPTIONS": PUBLIC_METADATA},
    # Rapyd answers a path it does not serve 401 UNAUTHORIZED, whoever asks.
    "api/rapyd/<rest>": {"GET": ApiRule(C.ANYONE, ok=(401,)), "POST": ApiRule(C.ANYONE, ok=(401,))},
    "api/webhooks/rapyd/<account_id>/?": _webhook(),
    "api/webhooks/arcadier/<account_id>/?": _webhook(),
    "api/webhooks/vtex/<account_id>/?": _webhook(),
    # The OpenAPI description and its Swagger UI are public (README, "REST API").
    "api/schema/": {"GET": PUBLIC_METADATA, "OPTIONS": PUBLIC_METADATA},
    # The Swagger UI is an HTML page: GET (and HEAD) only.
    "api/docs/": {"GET": PUBLIC_METADATA},
}


# --- Deciding ----------------------------------------------------------------------------------------------------
class Outcome(StrEnum):
    ALLOW = "allow"  # the request is served (rule.ok) and, for a write, has its effect
    LOGIN = "login"  # the admin sends a visitor who is not staff to log in
    REFUSE = "refuse"  # refused (status given), nothing changed
    OUT_OF_SCOPE = "out-of-scope"  # a client acting outside its accounts: see Scope


@dataclass(frozen=True)
class Expected:
    outcome: Outcome
    statuses: tuple[int, ...]


def admin_expected(category: C, principal: P, *, ok: tuple[int, ...], forbidden: int = 403) -> Expected:
    if category == C.ANYONE:
        return Expected(Outcome.ALLOW, ok)
    if C.STAFF not in GRANTS[principal]:
        return Expected(Outcome.LOGIN, (302,))
    if category == C.STAFF or category in GRANTS[principal]:
        return Expected(Outcome.ALLOW, ok)
    return Expected(Outcome.REFUSE, (forbidden,))


def _credential(door: Door, door_name: str, principal: P) -> str:
    """What the principal presents at this door: "none", "invalid", "user", "client" or "provider"."""
    if principal == P.PROVIDER:
        return "provider" if door_name == "webhooks" else "invalid"
    if principal in (P.WRONG_CREDENTIALS, P.CLIENT_INACTIVE):
        return "invalid"
    if principal in CLIENT_PRINCIPALS:
        return "invalid" if door_name == "webhooks" else "client"
    if principal == P.ANONYMOUS or not door.sessions:
        return "none"
    return "user"


def api_expected(door_name: str, rule: ApiRule, principal: P) -> Expected:
    door = DOORS[door_name]
    if rule.category == C.ANYONE:
        return Expected(Outcome.ALLOW, rule.ok)
    presented = _credential(door, door_name, principal)
    if presented == "none":
        return Expected(Outcome.REFUSE, (door.missing,))
    if presented == "invalid":
        return Expected(Outcome.REFUSE, (door.invalid,))
    if rule.category == C.CALLER:
        return Expected(Outcome.ALLOW, rule.ok)
    if rule.category not in GRANTS[principal]:
        return Expected(Outcome.REFUSE, (door.forbidden,))
    if principal == P.CLIENT_FOREIGN and rule.scope != Scope.NONE:
        statuses = {
            Scope.DETAIL: (door.out_of_scope,),
            Scope.LIST: rule.ok,
            Scope.CREATE: (400,),
            Scope.OWN: rule.ok,
        }[rule.scope]
        return Expected(Outcome.OUT_OF_SCOPE, statuses)
    return Expected(Outcome.ALLOW, rule.ok)
