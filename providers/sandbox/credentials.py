"""The credentials each emulated provider accepts.

Derived from SECRET_KEY so that they are stable for one installation, differ between installations, and never sit
in the repository; `SANDBOX_CREDENTIALS` (JSON, per kind) overrides them. `run_sandbox` prints them once at start.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings

from providers.kinds import ProviderKind


def _derive(label: str, length: int = 32) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sandbox:{label}".encode(), hashlib.sha256).hexdigest()[:length]


def _derive_uuid(label: str) -> str:
    return str(uuid.UUID(_derive(label, 32)))


def sandbox_credentials(kind: str) -> dict[str, str]:
    derived: dict[str, dict[str, str]] = {
        ProviderKind.ARCADIER: {
            "client_id": _derive("arcadier:client_id"),
            "client_secret": _derive("arcadier:client_secret"),
        },
        ProviderKind.MODULUS: {"app": "app_" + _derive("modulus:app", 16), "secret": _derive("modulus:secret")},
        ProviderKind.GENERIC: {"token": _derive("generic:token"), "api_key": _derive("generic:api_key")},
        ProviderKind.VTEX: {
            "app_key": "vtexappkey-sandbox-" + _derive("vtex:app_key", 8).upper(),
            "app_token": _derive("vtex:app_token", 48).upper(),
        },
        ProviderKind.RAPYD: {
            "access_key": "rak_" + _derive("rapyd:access_key", 20).upper(),
            "secret_key": "rsk_" + _derive("rapyd:secret_key", 40),
        },
    }
    overrides = getattr(settings, "SANDBOX_CREDENTIALS", {}) or {}
    return {**derived[kind], **overrides.get(kind, {})}


def sandbox_identity(kind: str) -> dict[str, str]:
    """Non-secret identifiers an emulated provider hands out (Arcadier's admin id)."""
    if kind == ProviderKind.ARCADIER:
        return {"admin_id": _derive_uuid("arcadier:admin_id")}
    return {}


def all_secret_values() -> set[str]:
    return {v for kind in ProviderKind.values for v in sandbox_credentials(kind).values() if v}
