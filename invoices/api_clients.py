"""Issuing credentials to API clients (inbound integrations).

Each client gets the credential of every scheme the API accepts: a bearer `token`, a VTEX-style
`app_key` + `app_token` pair, and a Rapyd-style `access_key` + `secret_key` pair for signed requests.
Tokens are stored hashed (they only need to be compared), the secret key encrypted (signatures are
verified with it), the two keys in the clear (they are identifiers). The plaintext is handed back once,
here, and never stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from backoffice import crypto
from providers.models import ProviderAccount

from .models import ApiClient, ApiClientRole

TOKEN_BYTES = 32  # 256 bits: a fast hash is then enough to store them (see crypto.hash_token)


@dataclass(frozen=True)
class IssuedCredentials:
    """The credentials of a new client, in plaintext: show them once, then drop them."""

    client: ApiClient
    token: str = field(repr=False)
    app_key: str
    app_token: str = field(repr=False)
    access_key: str
    secret_key: str = field(repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.client.pk,
            "name": self.client.name,
            "role": self.client.role,
            "account_ids": sorted(self.client.accounts.values_list("pk", flat=True)),
            "token": self.token,
            "app_key": self.app_key,
            "app_token": self.app_token,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }


def _unique(prefix: str, length: int, field_name: str) -> str:
    # Identifiers are random enough that a clash is practically impossible; the check keeps the error honest.
    while True:
        value = prefix + secrets.token_hex(length)
        if not ApiClient.objects.filter(**{field_name: value}).exists():
            return value


@transaction.atomic
def api_client_create(*, name: str, account_ids: Iterable[int], role: str) -> IssuedCredentials:
    """Create an API client allowed to act on the given provider accounts, and return its credentials once."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "A client needs a name."
    elif ApiClient.objects.filter(name=name).exists():
        errors["name"] = f"An API client named {name!r} already exists."
    if role not in ApiClientRole.values:
        errors["role"] = f"Unknown role {role!r}: use one of {', '.join(ApiClientRole.values)}."
    wanted = set(account_ids)
    accounts = list(ProviderAccount.objects.filter(pk__in=wanted))
    missing = wanted - {account.pk for account in accounts}
    if missing:
        errors["accounts"] = f"No provider account with id {', '.join(str(pk) for pk in sorted(missing))}."
    if errors:
        raise ValidationError(errors)

    token = secrets.token_urlsafe(TOKEN_BYTES)
    while ApiClient.objects.filter(token_hash=crypto.hash_token(token)).exists():
        token = secrets.token_urlsafe(TOKEN_BYTES)
    app_token = secrets.token_urlsafe(TOKEN_BYTES)
    secret_key = "sk_" + secrets.token_urlsafe(TOKEN_BYTES)
    app_key = _unique("appkey-", 12, "app_key")
    access_key = _unique("ak_", 12, "access_key")

    client = ApiClient.objects.create(
        name=name,
        role=role,
        token_prefix=token[:8],
        token_hash=crypto.hash_token(token),
        app_key=app_key,
        app_token_hash=crypto.hash_token(app_token),
        access_key=access_key,
        secret_key_encrypted=crypto.encrypt_str(secret_key),
    )
    client.accounts.set(accounts)
    return IssuedCredentials(
        client=client,
        token=token,
        app_key=app_key,
        app_token=app_token,
        access_key=access_key,
        secret_key=secret_key,
    )
