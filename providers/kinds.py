"""The provider kinds and, per kind, which credentials and settings an account holds.

Kept free of Django models and HTTP so that models, forms, adapters and the sandbox can all import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class ProviderKind(models.TextChoices):
    ARCADIER = "arcadier", "Arcadier"
    MODULUS = "modulus", "modulus"
    GENERIC = "generic", "Generic invoicing API"
    VTEX = "vtex", "VTEX"
    RAPYD = "rapyd", "Rapyd"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    help_text: str = ""
    required: bool = True


# Secrets: encrypted at rest, write-only in every UI.
CREDENTIAL_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    ProviderKind.ARCADIER: (
        FieldSpec("client_id", "Client ID", "From Arcadier's admin portal, API keys."),
        FieldSpec("client_secret", "Client secret"),
        FieldSpec(
            "webhook_secret",
            "Webhook secret",
            "The value of the secret header set on the invoice.paid event trigger.",
            required=False,
        ),
    ),
    ProviderKind.MODULUS: (
        FieldSpec("app", "App", "The `app` form field of /api/cmn/Authenticate."),
        FieldSpec("secret", "Secret", "The `secret` form field of /api/cmn/Authenticate."),
    ),
    ProviderKind.GENERIC: (
        FieldSpec("token", "Bearer token", "Used when the auth scheme is bearer.", required=False),
        FieldSpec("api_key", "API key", "Used when the auth scheme is api_key.", required=False),
    ),
    ProviderKind.VTEX: (
        FieldSpec("app_key", "App key", "Sent as X-VTEX-API-AppKey."),
        FieldSpec("app_token", "App token", "Sent as X-VTEX-API-AppToken."),
        FieldSpec(
            "webhook_secret",
            "Webhook secret",
            "The value of the secret header configured on the orders hook.",
            required=False,
        ),
    ),
    ProviderKind.RAPYD: (
        FieldSpec("access_key", "Access key"),
        FieldSpec("secret_key", "Secret key", "Signs every request with HMAC-SHA256."),
    ),
}

# Non-secret settings with their defaults; shown and editable in the admin.
SETTING_DEFAULTS: dict[str, dict[str, str]] = {
    ProviderKind.ARCADIER: {"webhook_header": "X-Webhook-Secret"},
    ProviderKind.MODULUS: {},
    ProviderKind.GENERIC: {"auth_scheme": "bearer", "api_key_header": "X-Api-Key"},
    ProviderKind.VTEX: {"webhook_header": "X-Webhook-Secret"},
    ProviderKind.RAPYD: {},
}

GENERIC_AUTH_SCHEMES = ("bearer", "api_key", "none")


def credential_names(kind: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in CREDENTIAL_FIELDS.get(kind, ()))
