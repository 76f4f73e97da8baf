"""Provider accounts: where an invoice is pushed, and with which (encrypted) credentials."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from backoffice import crypto

from .kinds import SETTING_DEFAULTS, ProviderKind, credential_names


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_provider_base_url(url: str) -> None:
    """Provider base URLs are https; plain http only to loopback, and only when the sandbox or DEBUG is on."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter an absolute http(s) URL, for example https://api.rapyd.net.")
    if parts.username or parts.password:
        raise ValidationError("Put credentials in the credential fields, never in the URL.")
    if parts.query or parts.fragment:
        raise ValidationError("A base URL has no query string or fragment.")
    if parts.scheme == "http":
        if not is_loopback_host(parts.hostname):
            raise ValidationError("Provider base URLs must use https (plain http is allowed only to loopback).")
        if not settings.PROVIDER_ALLOW_LOOPBACK_HTTP:
            raise ValidationError("Plain http to loopback is allowed only when the sandbox or DEBUG is on.")


class ProviderAccount(models.Model):
    kind = models.CharField(max_length=16, choices=ProviderKind.choices)
    name = models.CharField(max_length=100, unique=True)
    base_url = models.CharField(
        max_length=300,
        validators=[validate_provider_base_url],
        help_text="Root of the provider's API, e.g. https://api.rapyd.net or http://127.0.0.1:8000/sandbox/rapyd.",
    )
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret, provider-specific settings.")
    enabled = models.BooleanField(default=True)
    paused = models.BooleanField(default=False, help_text="Paused accounts keep their deliveries queued.")
    max_concurrency = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(64)]
    )
    connect_timeout = models.DecimalField(
        max_digits=5, decimal_places=2, default=5, validators=[MinValueValidator(0.1), MaxValueValidator(60)]
    )
    read_timeout = models.DecimalField(
        max_digits=5, decimal_places=2, default=20, validators=[MinValueValidator(0.1), MaxValueValidator(300)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        permissions = (
            ("view_provider_secrets_summary", "Can see which provider credentials are set"),
            ("test_provider_connection", "Can test a provider connection"),
            ("pause_provider", "Can pause and resume deliveries to a provider"),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    # Credentials never leave this model except through get_credentials(), which only adapters call.
    def get_credentials(self) -> dict[str, str]:
        return {k: str(v) for k, v in crypto.decrypt_json(self.credentials_encrypted).items()}

    def set_credentials(self, values: dict[str, str | None], *, keep_blank: bool = True) -> None:
        """Store credentials; with keep_blank, a blank value keeps the stored one (write-only form semantics)."""
        allowed = set(credential_names(self.kind))
        unknown = set(values) - allowed
        if unknown:
            raise ValidationError(f"Unknown credential(s) for {self.kind}: {', '.join(sorted(unknown))}.")
        current = self.get_credentials() if self.credentials_encrypted else {}
        for name, value in values.items():
            if value:
                current[name] = value
            elif not keep_blank:
                current.pop(name, None)
        self.credentials_encrypted = crypto.encrypt_json(current) if current else ""

    def credential_summary(self) -> dict[str, str]:
        creds = self.get_credentials() if self.credentials_encrypted else {}
        return {name: crypto.mask_secret(creds.get(name)) for name in credential_names(self.kind)}

    def effective_settings(self) -> dict[str, Any]:
        return {**SETTING_DEFAULTS.get(self.kind, {}), **(self.settings or {})}

    def rotate_encryption(self) -> bool:
        if not self.credentials_encrypted:
            return False
        self.credentials_encrypted = crypto.rotate(self.credentials_encrypted)
        return True
