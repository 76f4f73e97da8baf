"""Rapyd request and webhook signatures, as pure functions shared by the adapter, the sandbox and webhooks.

    to_sign   = lower(method) + url_path + salt + timestamp + access_key + secret_key + body_string
    signature = base64(hex(HMAC-SHA256(secret_key, to_sign)))

`url_path` starts at `/v1` and keeps the query string; `body_string` is compact JSON ("" for no body). Rapyd
base64-encodes the ASCII of the lowercase hex digest, not the raw digest: a common integration mistake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time
from typing import Any

from providers.jsonnumbers import dumps_compact

SALT_ALPHABET = string.ascii_letters + string.digits
SALT_LENGTH = 12  # Rapyd asks for 8-16 random characters


def body_string(payload: Any) -> str:
    """Compact JSON exactly as signed and sent ("" for no body), Decimals written as exact JSON numbers."""
    return "" if payload is None else dumps_compact(payload)


def _digest(secret_key: str, to_sign: str) -> str:
    hex_digest = hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def signature(
    method: str, url_path: str, salt: str, timestamp: str, access_key: str, secret_key: str, body: str
) -> str:
    to_sign = f"{method.lower()}{url_path}{salt}{timestamp}{access_key}{secret_key}{body}"
    return _digest(secret_key, to_sign)


def webhook_signature(url: str, salt: str, timestamp: str, access_key: str, secret_key: str, body: str) -> str:
    """Rapyd signs webhooks over the full configured webhook URL, with no method."""
    return _digest(secret_key, f"{url}{salt}{timestamp}{access_key}{secret_key}{body}")


def new_salt(length: int = SALT_LENGTH) -> str:
    return "".join(secrets.choice(SALT_ALPHABET) for _ in range(length))


def signed_headers(
    method: str,
    url_path: str,
    body: str,
    *,
    access_key: str,
    secret_key: str,
    salt: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The authentication headers of one request (the caller adds Content-Type and idempotency)."""
    salt = salt or new_salt()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "access_key": access_key,
        "salt": salt,
        "timestamp": stamp,
        "signature": signature(method, url_path, salt, stamp, access_key, secret_key, body),
    }


def matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii", "replace"), given.encode("ascii", "replace"))
