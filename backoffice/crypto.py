"""Encryption of secrets at rest with MultiFernet.

Keys come from ``FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts. Rotation is: prepend a new key,
run ``manage.py rotate_encryption_keys`` (re-encrypts every stored value under the new key), then drop the old one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key (the message never holds the value)."""


def _derived_debug_key() -> bytes:
    # Only reached with DEBUG on and no keys configured: a stable key derived from SECRET_KEY, so a development
    # database stays readable across restarts. Settings refuse to start without explicit keys when DEBUG is off.
    digest = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    raw_keys = [k.encode() for k in keys] if keys else [_derived_debug_key()]
    return MultiFernet([Fernet(k) for k in raw_keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt_str(json.dumps(value, sort_keys=True, separators=(",", ":")))


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    data = json.loads(decrypt_str(token))
    if not isinstance(data, dict):
        raise DecryptionError("stored secret is not an object")
    return data


def rotate(token: str) -> str:
    """Re-encrypt a stored value under the primary key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def hash_token(token: str) -> str:
    """Hash of a high-entropy API token (tokens are 256-bit random; a fast hash is the right tool, as GitHub does)."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask_secret(value: str | None) -> str:
    """What an admin page may show of a secret: that it is set, and its last four characters."""
    if not value:
        return "not set"
    if len(value) < 12:
        return "set"
    return f"set, ending in …{value[-4:]}"
