"""State of the provider sandbox: emulated objects, received requests, idempotency records and fault settings.

The sandbox plays the providers; its tables are its own (prefixed sandbox_) and nothing in the product reads them.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from providers.kinds import ProviderKind


class SandboxObject(models.Model):
    """An emulated provider object (a Rapyd invoice, a VTEX order, an Arcadier transaction, an issued token…)."""

    kind = models.CharField(max_length=16, choices=ProviderKind.choices)
    collection = models.CharField(max_length=32)
    key = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "collection", "key"], name="sandbox_object_unique")]
        ordering = ("kind", "collection", "key")

    def __str__(self) -> str:
        return f"{self.kind}/{self.collection}/{self.key}"


class SandboxRequest(models.Model):
    """Every request the sandbox received, redacted, with the state change it applied (its effect), if any."""

    kind = models.CharField(max_length=16, choices=ProviderKind.choices, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True, default="")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.TextField(blank=True, default="")
    # Every state change this request applied, "; "-separated (one request may change several orders).
    effect = models.TextField(blank=True, default="")
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    fault = models.CharField(max_length=16, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"{self.kind} {self.method} {self.path} → {self.status_code}"


class SandboxIdempotency(models.Model):
    kind = models.CharField(max_length=16, choices=ProviderKind.choices)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="Method and path the key was first used with.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="sandbox_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


def _rate() -> list:
    return [MinValueValidator(0), MaxValueValidator(1)]


class SandboxFault(models.Model):
    """Fault injection for one emulated provider; `SANDBOX_FAULTS` in the environment overrides these values."""

    kind = models.CharField(max_length=16, choices=ProviderKind.choices, unique=True)
    latency_ms = models.PositiveIntegerField(default=0, help_text="Added to every request.")
    error_rate = models.FloatField(default=0, validators=_rate(), help_text="Share answered 500/503 (no effect).")
    throttle_rate = models.FloatField(default=0, validators=_rate(), help_text="Share answered 429 (no effect).")
    retry_after_s = models.PositiveIntegerField(default=1, help_text="Retry-After sent with 429 and 503.")
    drop_rate = models.FloatField(default=0, validators=_rate(), help_text="Share whose connection is dropped.")
    timeout_rate = models.FloatField(
        default=0, validators=_rate(), help_text="Share applied, then answered after timeout_s (past the client)."
    )
    timeout_s = models.FloatField(default=30, validators=[MinValueValidator(0), MaxValueValidator(600)])
    malformed_rate = models.FloatField(
        default=0, validators=_rate(), help_text="Share applied, then answered with an unreadable body."
    )
    next_faults = models.JSONField(
        default=list,
        blank=True,
        help_text='Faults for the next requests, in order, e.g. ["5xx", "timeout"] '
        "(latency, 5xx, 503, 429, drop, timeout, malformed, ok).",
    )
    down = models.BooleanField(default=False, help_text="Refuse every request with 503, as if the provider were down.")

    class Meta:
        verbose_name = "sandbox fault setting"

    def __str__(self) -> str:
        return f"faults for {self.kind}"
