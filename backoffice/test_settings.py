"""Settings for the test suite: the production settings module, with test-only values where the environment is
silent (CI sets DATABASE_URL and CELERY_BROKER_URL to run the same suite on PostgreSQL and Redis)."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "Jbonz0E9DguhbtJAL-cwR3tJECfxqsc7KTqZ1CYrn3k=")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# A broker folder of the suite's own, shared with the worker processes the worker tests start.
os.environ.setdefault(
    "CELERY_FILESYSTEM_DIR",
    os.path.join(
        os.path.dirname(os.path.dirname(__file__)), "var", "test-celery" + os.environ.get("TEST_DB_SUFFIX", "")
    ),
)
# Tests drive the relay explicitly; the worker tests turn the on-commit kick back on.
os.environ.setdefault("DELIVERY_KICK_ON_COMMIT", "false")

from .settings import *  # noqa: F403

# Server threads (live_server, the mirrors' delivery threads) must not keep connections past a request, or the
# test database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins; never used outside tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic before tests: plain storage (production uses WhiteNoise's hashed manifest).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
