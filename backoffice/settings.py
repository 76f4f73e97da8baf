"""Settings, read from the environment (and an optional `.env` at the project root).

Every variable is documented with its default in `.env.example`. The defaults are the embedded ones: SQLite, a
filesystem Celery broker that needs no server, the provider sandbox served by the app itself.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state of the embedded setup: SQLite, broker folders, sent emails
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "providers",
    "providers.sandbox",
    "invoices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's static files from the app itself (compressed, cache-busted): no separate file server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and the sandbox read while one of them writes; IMMEDIATE transactions
    # take the write lock up front, so two writers queue (busy timeout) instead of failing on a lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory: tests start the sandbox and workers in other threads and processes.
    _suffix = env.str("TEST_DB_SUFFIX", default="")
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db{_suffix}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request bodies above this size are refused before they are parsed (a clear 413/400, never a 5xx).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- Secrets at rest -------------------------------------------------------------------------------------------
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotate by prepending a new key, then running
# `manage.py rotate_encryption_keys`, then dropping the old key).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off (see .env.example).")

# --- Email -----------------------------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL")  # e.g. smtp+tls://user:pass@host:587
    vars().update(EMAIL_CONFIG)
else:
    # The embedded default: messages are kept in the database and read in the admin (Stored emails).
    EMAIL_BACKEND = "invoices.mail_backend.DatabaseEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="invoices@backoffice.localhost")

# --- Celery ----------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    _queue_dir = _broker_dir / "queue"
    _processed_dir = _broker_dir / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_broker_dir / "control"),  # exchange tables (broadcasts); not the working dir
        "polling_interval": 0.2,  # the default (1 s) would make every queued task wait up to a second
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Providers and the sandbox ---------------------------------------------------------------------------------
# The sandbox emulates the five provider APIs under /sandbox/<kind>/; the embedded demo points its accounts there.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)
# Fault injection, per provider, as JSON: {"rapyd": {"error_rate": 0.2, "latency_ms": 50}, "*": {...}}.
SANDBOX_FAULTS = env.json("SANDBOX_FAULTS", default={})
# Plain http:// provider base URLs are refused unless they point at loopback and the sandbox or DEBUG is on.
PROVIDER_ALLOW_LOOPBACK_HTTP = SANDBOX_ENABLED or DEBUG
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=5.0)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=20.0)


# --- REST framework --------------------------------------------------------------------------------------------
def _throttle_rate(value: str) -> str | None:
    """A DRF rate such as "600/min"; "off" (or empty) switches that throttle off."""
    value = value.strip()
    return None if value.lower() in ("", "off", "none") else value


REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # The v1 API's error envelope; other views (the mirrors answer in their providers' envelopes) keep DRF's own.
    "EXCEPTION_HANDLER": "backoffice.api_errors.exception_handler",
    # Requests per API client and per staff user, and failed token lookups per client IP (see invoices/api/v1).
    "DEFAULT_THROTTLE_RATES": {
        "api_client": _throttle_rate(env.str("API_THROTTLE_CLIENT_RATE", default="600/min")),
        "staff_user": _throttle_rate(env.str("API_THROTTLE_USER_RATE", default="600/min")),
        "auth_failure": _throttle_rate(env.str("API_THROTTLE_AUTH_FAILURE_RATE", default="20/min")),
    },
    # Proxies in front of the app whose X-Forwarded-For entry is trusted as the client IP. 0: the peer address
    # (otherwise a client could name its own IP in the header and escape the per-IP throttle).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Invoice back-office API",
    "DESCRIPTION": """\
Two APIs share this server.

**Provider mirrors** (`/api/arcadier/`, `/api/modulus/`, `/api/generic/`, `/api/vtex/`, `/api/rapyd/`) accept the
requests an integration already sends to one of the five platforms (same paths, payloads and authentication
style: Arcadier and modulus tokens, generic bearer or API key, VTEX app key and token, Rapyd signatures), record
the change here and carry it to the platform. They answer in that platform's own error envelope.

**The normalized API** (`/api/v1/`) is the clean one for new integrations: one invoice model whatever the
platform, amounts as decimal strings, and:

- **Authentication**: `Authorization: Token <token>` (or `Bearer <token>`) with an API client's token
  (`manage.py create_api_client`), or the admin's session for logged-in staff (CSRF token required on writes).
  A client only sees the invoices of the provider accounts it is linked to; its role (`viewer` or `operator`)
  decides what it may do. Staff have the same permissions as in the admin.
- **Writes go through the business rules**: status is read-only on `PATCH`; it changes only through
  `POST /api/v1/invoices/{id}/transitions/`, which checks the lifecycle and the platform's own rules
  (a refused move answers `409` naming both statuses). Every change is recorded in the invoice's history.
- **Optimistic concurrency**: every invoice response carries `ETag: "<version>"`. Send it back as `If-Match` on
  `PATCH` and transitions (or a `version` field in the body): if someone changed the invoice in between, the
  request is refused with `412` (`If-Match`) or `409` (`version`) and nothing is changed; read it again and retry.
- **Errors** all look alike: `{"error": {"code": "...", "message": "...", "fields": {"<field>": ["..."]}}}`
  with `fields` naming each invalid field (nested ones dotted, e.g. `lines.0.quantity`).
- **Throttling**: requests are limited per client and per staff user, failed token lookups per IP; over the limit
  the answer is `429` with `Retry-After` (seconds).
""",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response shapes differ (read-only totals and status, write-only version): one component each.
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": "invoices", "description": "Normalized invoices: list, create, read, edit (v1)."},
        {"name": "status", "description": "Status changes through the lifecycle, and the history they leave (v1)."},
        {"name": "deliveries", "description": "Pushes to the provider and what became of them (v1)."},
        {"name": "emails", "description": "Invoice emails to customers (v1)."},
    ],
    # One named enum per choice set, whichever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "invoices.lifecycle.InvoiceStatus",
        "SyncStateEnum": "invoices.models.SyncState",
        "InvoiceTypeEnum": "invoices.models.InvoiceType",
        "DoorEnum": "invoices.models.Door",
        "ActorTypeEnum": "invoices.models.ActorType",
        "DeliveryStateEnum": "invoices.models.DeliveryState",
        "DeliveryOperationEnum": "invoices.models.DeliveryOperation",
        "AttemptOutcomeEnum": "invoices.models.AttemptOutcome",
        "EmailStateEnum": "invoices.models.EmailState",
        "OrderPaymentStatusEnum": "invoices.models.OrderPaymentStatus",
        "ProviderKindEnum": "providers.kinds.ProviderKind",
        "CurrencyEnum": "invoices.currencies.CURRENCY_CHOICES",
    },
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

# --- Logging ---------------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"query_secrets": {"()": "providers.redaction.QuerySecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["query_secrets"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The access log prints request lines, query strings included (modulus sends ?token=): filtered too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# Server error reports (mailed to ADMINS when set): secret query parameters, credential form fields and
# credential settings are masked too, not only what Django's default filter recognises.
DEFAULT_EXCEPTION_REPORTER = "backoffice.error_reports.SecretsExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "backoffice.error_reports.SecretsReporterFilter"

# --- Production hardening --------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Credentials the sandbox accepts, per kind, as JSON; unset kinds use values derived from SECRET_KEY.
SANDBOX_CREDENTIALS = env.json("SANDBOX_CREDENTIALS", default={})

# --- Delivery (outbox relay) -----------------------------------------------------------------------------------
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=10)
DELIVERY_BACKOFF_BASE_SECONDS = env.float("DELIVERY_BACKOFF_BASE_SECONDS", default=2.0)
DELIVERY_BACKOFF_CAP_SECONDS = env.float("DELIVERY_BACKOFF_CAP_SECONDS", default=900.0)
# A claimed delivery whose worker vanished is taken back after this long (longer than any provider read timeout).
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=120)
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=20)
DELIVERY_RELAY_INTERVAL_SECONDS = env.float("DELIVERY_RELAY_INTERVAL_SECONDS", default=5.0)
# After a change commits, ask a worker to deliver it at once (the periodic relay is the safety net).
DELIVERY_KICK_ON_COMMIT = env.bool("DELIVERY_KICK_ON_COMMIT", default=True)

CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "invoices.relay_outbox", "schedule": DELIVERY_RELAY_INTERVAL_SECONDS},
    "sweep-invoice-emails": {"task": "invoices.sweep_invoice_emails", "schedule": 600.0},
}

# --- Demo data -------------------------------------------------------------------------------------------------
# Password `manage.py seed_demo` gives the demo users admin, operator and viewer; blank: a new one is generated.
DEMO_ADMIN_PASSWORD = env.str("DEMO_ADMIN_PASSWORD", default="")

# --- REST API --------------------------------------------------------------------------------------------------
# How long a mirror call waits for the provider before answering 202 "accepted and queued".
MIRROR_DELIVERY_BUDGET_SECONDS = env.float("MIRROR_DELIVERY_BUDGET_SECONDS", default=5.0)

# --- Inbound webhooks ------------------------------------------------------------------------------------------
# The public scheme, host and path prefix providers call (e.g. https://backoffice.example.com): Rapyd signs the
# full URL it was given, which a proxy in front of the app may not pass on. Empty: the URL as the request arrived.
WEBHOOK_PUBLIC_BASE_URL = env.str("WEBHOOK_PUBLIC_BASE_URL", default="")
