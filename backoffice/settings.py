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
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - only reachable with DEBUG on

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
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")

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
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Invoice back-office API",
    "DESCRIPTION": "Provider-compatible mirror endpoints and the normalized invoice API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Logging ---------------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

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
