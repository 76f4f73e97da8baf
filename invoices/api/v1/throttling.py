"""Throttles of the v1 API: requests per API client and per staff user, and failed token lookups per client IP.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env-overridable, see settings) and are read when a
request comes in, not when this module is imported, so a changed setting takes effect at once (DRF's own throttles
freeze the rates at import). A rate of None switches the throttle off.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from invoices.models import ApiClient


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return rate if isinstance(rate, str) else None


class ApiClientThrottle(_SettingsRateThrottle):
    """Requests per API client (whatever IP they come from)."""

    scope = "api_client"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class StaffUserThrottle(_SettingsRateThrottle):
    """Requests per logged-in staff user."""

    scope = "staff_user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiClient) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AuthFailureThrottle(_SettingsRateThrottle):
    """Failed token lookups per client IP: past the limit, that IP's token requests are refused with 429 until
    the window has passed, so tokens cannot be guessed at speed. Only failures count: a busy, well-configured
    integration is never slowed down by it."""

    scope = "auth_failure"
    num_requests: int
    duration: int

    def get_cache_key(self, request: Request, view: Any = None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked_for(self, request: Request) -> float | None:
        """Seconds until this IP may try a token again, or None when it may now."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.wait()
        return None

    def record_failure(self, request: Request) -> None:
        if self.rate is None:
            return
        self.blocked_for(request)  # loads and trims the history
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
