"""Production settings pass Django's deployment checks; the security headers are sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "production-like-secret-0123456789-ABCDEFGHIJ",
    "FIELD_ENCRYPTION_KEYS": "HWMdXyVm6Gvile4JX9DK_-PigpMq-K8vPRtmTpuCXvw=",
    "ALLOWED_HOSTS": "backoffice.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "SANDBOX_ENABLED": "false",
    "EMAIL_URL": "smtp+tls://mailer:password@smtp.example.com:587",
}


def check_deploy(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG"))}
    env.update({"DJANGO_SETTINGS_MODULE": "backoffice.settings", **extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks() -> None:
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_checks_catch_a_deployment_without_https_hardening() -> None:
    result = check_deploy({**PRODUCTION, "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect


def test_production_refuses_to_start_without_its_secrets() -> None:
    # (set empty rather than unset: a developer's .env must not fill them in)
    result = check_deploy({**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_responses_carry_the_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/admin/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrfmiddlewaretoken" in response.content.decode()
