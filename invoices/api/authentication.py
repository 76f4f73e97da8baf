"""Finding the API client behind a request, in each provider's own auth style, against credentials we issued.

Every failure raises AuthFailed with a reason safe to show (never a credential); the caller answers in its
provider's envelope. Lookups go by the hash of the presented secret, so no stored token is ever compared in clear.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from backoffice import crypto
from providers.models import ProviderAccount
from providers.rapyd import signing

from ..models import ApiClient, ApiNonce

RAPYD_WINDOW_SECONDS = 60
_TOUCH_EVERY = timedelta(seconds=60)


class AuthFailed(Exception):
    """The request is not from an active client we know (the message says what was wrong, not with what)."""


def _active(qs: QuerySet[ApiClient]) -> ApiClient | None:
    return qs.filter(is_active=True).first()


def client_by_token(token: str | None) -> ApiClient:
    if not token:
        raise AuthFailed("Missing API token.")
    client = _active(ApiClient.objects.filter(token_hash=crypto.hash_token(token)))
    if client is None:
        raise AuthFailed("Invalid API token.")
    return _touch(client)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") and value.strip() else None


def client_by_app_key(app_key: str | None, app_token: str | None) -> ApiClient:
    if not app_key or not app_token:
        raise AuthFailed("Missing X-VTEX-API-AppKey or X-VTEX-API-AppToken.")
    client = _active(ApiClient.objects.filter(app_key=app_key))
    if client is None or not client.check_app_token(app_token):
        raise AuthFailed("Invalid app key or app token.")
    return _touch(client)


def client_by_rapyd_signature(
    *,
    method: str,
    url_path: str,
    body: str,
    access_key: str | None,
    salt: str | None,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> ApiClient:
    """Verify a request signed exactly as Rapyd signs: HMAC over method, path, salt, timestamp, keys and body;
    the timestamp within 60 seconds; a salt never used twice by the same client inside that window."""
    if not (access_key and salt and timestamp and signature):
        raise AuthFailed("Missing access_key, salt, timestamp or signature header.")
    if not 8 <= len(salt) <= 16:
        raise AuthFailed("The salt must be 8 to 16 characters.")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise AuthFailed("The timestamp must be Unix seconds.") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > RAPYD_WINDOW_SECONDS:
        raise AuthFailed("The timestamp is more than 60 seconds away from the server's time.")
    client = _active(ApiClient.objects.filter(access_key=access_key))
    if client is None:
        raise AuthFailed("Unknown access key.")
    expected = signing.signature(method, url_path, salt, timestamp, access_key, client.get_secret_key(), body)
    if not signing.matches(expected, signature):
        raise AuthFailed("The signature does not match the request.")
    _remember_salt(client, salt)
    return _touch(client)


def _remember_salt(client: ApiClient, salt: str) -> None:
    horizon = timezone.now() - timedelta(seconds=2 * RAPYD_WINDOW_SECONDS)
    ApiNonce.objects.filter(created_at__lt=horizon).delete()
    try:
        with transaction.atomic():
            ApiNonce.objects.create(client=client, value=salt)
    except IntegrityError:
        raise AuthFailed("This salt was already used: a replayed request is refused.") from None


def _touch(client: ApiClient) -> ApiClient:
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > _TOUCH_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def accounts_for(client: ApiClient, kind: str) -> list[ProviderAccount]:
    """The enabled accounts of this kind the client may act on."""
    return list(client.accounts.filter(kind=kind, enabled=True).order_by("pk"))
