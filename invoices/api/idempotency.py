"""Idempotent API requests: the first answer for a key is stored and given back to every replay.

A key is reserved before the request is processed, so two concurrent requests with one key cannot both apply it:
the second is refused as "in progress" (and may retry). A key reused with a different request is refused too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ApiClient, ApiIdempotencyRecord

# A reservation whose request died with its process is released after this long.
STALE_RESERVATION = timedelta(minutes=5)
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class IdempotencyConflict(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def reserve(*, client: ApiClient, scope: str, key: str, fingerprint: str) -> StoredAnswer | None:
    """Reserve the key for this request; return the stored answer when it was already answered."""
    key = key[:255]
    now = timezone.now()
    ApiIdempotencyRecord.objects.filter(client=client, scope=scope, created_at__lt=now - KEEP_FOR).delete()
    try:
        with transaction.atomic():
            ApiIdempotencyRecord.objects.create(client=client, scope=scope, key=key, fingerprint=fingerprint)
            return None
    except IntegrityError:
        pass
    record = ApiIdempotencyRecord.objects.get(client=client, scope=scope, key=key)
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict("This idempotency key was already used with a different request.")
    if record.status_code is None:
        if record.created_at > now - STALE_RESERVATION:
            raise IdempotencyConflict("A request with this idempotency key is still being processed.")
        ApiIdempotencyRecord.objects.filter(pk=record.pk).update(created_at=now)
        return None
    return StoredAnswer(record.status_code, record.response_body, dict(record.response_headers))


def complete(*, client: ApiClient, scope: str, key: str, answer: StoredAnswer) -> None:
    ApiIdempotencyRecord.objects.filter(client=client, scope=scope, key=key[:255]).update(
        status_code=answer.status, response_body=answer.body, response_headers=answer.headers
    )


def release(*, client: ApiClient, scope: str, key: str) -> None:
    """Drop a reservation whose request failed before an answer worth keeping (the client may try again)."""
    ApiIdempotencyRecord.objects.filter(client=client, scope=scope, key=key[:255], status_code__isnull=True).delete()
