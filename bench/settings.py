"""Settings for benchmark runs: the production settings module, with DEBUG off (no query log growing in memory)
and test-grade secrets where the environment is silent. The runner points DATABASE_URL at a database of its own."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "Jbonz0E9DguhbtJAL-cwR3tJECfxqsc7KTqZ1CYrn3k=")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("SANDBOX_ENABLED", "true")
os.environ.setdefault("LOG_LEVEL", "ERROR")
# Throttles would turn a benchmark's steady stream of requests into 429s.
os.environ.setdefault("API_THROTTLE_CLIENT_RATE", "off")
os.environ.setdefault("API_THROTTLE_USER_RATE", "off")

from backoffice.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # benchmark users log in often
# No collectstatic before a run: plain storage (production uses WhiteNoise's hashed manifest).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# A queue of the run's own: the benchmark's workers never take another run's (or a test suite's) messages, and
# purging it touches nothing else on a shared broker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench")
