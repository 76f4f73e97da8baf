"""Redaction of secrets from everything that is logged, stored or shown.

Two nets: known secret values (the account's credentials, issued tokens) are replaced wherever they appear, and
fields that carry secrets by name (headers, query parameters, JSON keys) are masked whatever their value.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .jsonnumbers import dumps_compact

MASK = "***"

SENSITIVE_NAMES: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-vtex-api-apptoken",
        "x-vtex-api-appkey",
        "vtexidclientautcookie",
        "access_key",
        "secret_key",
        "signature",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "client_id",
        "secret",
        "app",
        "app_key",
        "app_token",
        "api_key",
        "x-api-key",
        "password",
    }
)


def is_sensitive(name: str, extra: Iterable[str] = ()) -> bool:
    # Servers present `access_key` as `Access-Key`: both spellings name the same secret.
    lowered = name.lower()
    names = {lowered, lowered.replace("-", "_")}
    return bool(names & SENSITIVE_NAMES) or bool(names & {e.lower() for e in extra})


def redact_text(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_headers(
    headers: Mapping[str, str], secrets: Iterable[str] = (), extra_names: Iterable[str] = ()
) -> dict[str, str]:
    secrets = tuple(secrets)
    return {
        name: (MASK if is_sensitive(name, extra_names) else redact_text(str(value), secrets))
        for name, value in headers.items()
    }


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    parts = urlsplit(url)
    if parts.query:
        query = [(k, MASK if is_sensitive(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        parts = parts._replace(query=urlencode(query, safe="*"))
    return redact_text(urlunsplit(parts), secrets)


def redact_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    secrets = tuple(secrets)
    if isinstance(value, Mapping):
        return {k: (MASK if is_sensitive(str(k)) else redact_data(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def redact_body(body: str | bytes | None, secrets: Iterable[str] = (), *, limit: int = 64_000) -> str:
    """Redact a request or response body: JSON by key and value, form bodies by field, anything else by value."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    secrets = tuple(secrets)
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        # Numbers kept as written (Decimal, never float): a stored exchange shows the amounts really sent.
        try:
            parsed = json.loads(stripped, parse_float=Decimal, parse_constant=str)
        except ValueError:
            pass
        else:
            text = dumps_compact(redact_data(parsed, secrets))
    elif "=" in text and "\n" not in stripped and " " not in stripped:
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs:
            text = urlencode([(k, MASK if is_sensitive(k) else v) for k, v in pairs], safe="*")
    text = redact_text(text, secrets)
    return text if len(text) <= limit else text[:limit] + "…[truncated]"


_QUERY_SECRET = re.compile(
    r"([?&](?:" + "|".join(re.escape(n) for n in sorted(SENSITIVE_NAMES)) + r")=)[^&\s\"']*", re.IGNORECASE
)


def redact_query_in_text(text: str) -> str:
    """Mask secret query parameters wherever a URL appears in free text (a request line in an access log)."""
    return _QUERY_SECRET.sub(r"\1" + MASK, text)


class QuerySecretsFilter(logging.Filter):
    """A logging filter for loggers that print request lines with their query string (urllib3 at DEBUG, the
    development server's access log): modulus passes its token as ?token=, which must never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query_in_text(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_query_in_text(record.msg)
        return True
