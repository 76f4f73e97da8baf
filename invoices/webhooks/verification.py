"""Who sent a webhook: each provider's own way of proving it, against the secrets of the account the URL names.

- Rapyd signs with the account's access and secret keys over the full webhook URL as configured at Rapyd. Behind
  a proxy the URL Django sees is not that one: WEBHOOK_PUBLIC_BASE_URL (scheme, host and any path prefix the
  proxy strips) replaces what comes before the path. A salt is accepted once: a replayed delivery is refused.
- Arcadier and VTEX send a secret custom header set on the event trigger or hook: its name is the account setting
  `webhook_header`, its value the credential `webhook_secret`, compared in constant time.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from providers.kinds import SETTING_DEFAULTS, ProviderKind
from providers.models import ProviderAccount
from providers.rapyd import webhooks as rapyd

from ..models import WebhookEvent
from .events import WebhookAuthenticationError

SECRET_HEADER_SETTING = "webhook_header"
SECRET_CREDENTIAL = "webhook_secret"
SIGNATURE_HEADERS = frozenset({"signature"})


def webhook_url(request: HttpRequest) -> str:
    """The URL the provider was told to call, as it would have signed it."""
    base = settings.WEBHOOK_PUBLIC_BASE_URL
    if base:
        return base.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def secret_header(kind: str, account: ProviderAccount | None) -> str:
    """The (lower-case) name of the header carrying the webhook secret; "" for providers that sign instead."""
    if account is not None:
        name = account.effective_settings().get(SECRET_HEADER_SETTING, "")
    else:
        name = SETTING_DEFAULTS.get(kind, {}).get(SECRET_HEADER_SETTING, "")
    return str(name).strip().lower()


def authenticate(
    kind: str, account: ProviderAccount, *, url: str, headers: Mapping[str, str], body: str, now: float | None = None
) -> None:
    """Raise WebhookAuthenticationError unless the delivery comes from the account's provider. `headers` have
    lower-case names. Run inside the transaction that stores the delivery, with the account's row locked, so that
    two deliveries with one salt cannot both pass."""
    if kind == ProviderKind.RAPYD:
        _rapyd(account, url=url, headers=headers, body=body, now=time.time() if now is None else now)
    else:
        _secret_header(kind, account, headers)


def _rapyd(account: ProviderAccount, *, url: str, headers: Mapping[str, str], body: str, now: float) -> None:
    credentials = account.get_credentials() if account.credentials_encrypted else {}
    access_key, secret_key = credentials.get("access_key", ""), credentials.get("secret_key", "")
    if not (access_key and secret_key):
        raise WebhookAuthenticationError("The account has no Rapyd access key and secret key to check signatures.")
    salt = rapyd.check_signature(
        url=url, headers=headers, body=body, access_key=access_key, secret_key=secret_key, now=now
    )
    # A salt can only come back inside the timestamp's window (outside it the delivery is stale anyway).
    window = timezone.now() - timedelta(seconds=2 * rapyd.TIMESTAMP_TOLERANCE_S)
    seen = WebhookEvent.objects.filter(
        kind=ProviderKind.RAPYD, account=account, valid=True, received_at__gte=window, headers__salt=salt
    )
    if seen.exists():
        raise WebhookAuthenticationError("This salt was already used: a replayed webhook is refused.")


def _secret_header(kind: str, account: ProviderAccount, headers: Mapping[str, str]) -> None:
    name = secret_header(kind, account)
    credentials = account.get_credentials() if account.credentials_encrypted else {}
    secret = credentials.get(SECRET_CREDENTIAL, "")
    if not (name and secret):
        raise WebhookAuthenticationError(
            "The account has no webhook secret (or no header name for it): set both on the account and on the "
            "provider's trigger."
        )
    given = headers.get(name, "")
    if not given:
        raise WebhookAuthenticationError(f"The {name} header is missing.")
    if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
        raise WebhookAuthenticationError(f"The {name} header does not hold the account's webhook secret.")
