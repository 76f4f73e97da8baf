"""Cached provider access tokens (Arcadier client-credentials, modulus Authenticate).

Tokens live in Django's cache (Redis in production), encrypted like every other secret, keyed by the account and a
fingerprint of its credentials so that changing the credentials drops the old token at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

from backoffice import crypto

from .base import AccountConfig


@dataclass(frozen=True)
class CachedToken:
    value: str
    expires_at: float  # Unix seconds

    def fresh(self, margin: float) -> bool:
        return time.time() < self.expires_at - margin


class TokenStore:
    def __init__(self, account: AccountConfig) -> None:
        fingerprint = hashlib.sha256(
            "|".join(f"{k}={v}" for k, v in sorted(account.credentials.items())).encode()
        ).hexdigest()[:16]
        self.key = f"provider-token:{account.kind}:{account.id}:{account.base_url}:{fingerprint}"

    def get(self, margin: float = 60.0) -> CachedToken | None:
        stored = cache.get(self.key)
        if not stored:
            return None
        try:
            value, expires_at = crypto.decrypt_str(stored).rsplit("|", 1)
        except (crypto.DecryptionError, ValueError):
            return None
        token = CachedToken(value, float(expires_at))
        return token if token.fresh(margin) else None

    def put(self, value: str, expires_in: float) -> CachedToken:
        token = CachedToken(value, time.time() + expires_in)
        cache.set(self.key, crypto.encrypt_str(f"{value}|{token.expires_at}"), timeout=max(1, int(expires_in)))
        return token

    def clear(self) -> None:
        cache.delete(self.key)
