"""Testing a provider account's connection: one answer for the admin's "Test connection" and `check_providers`,
with the account's credentials removed from whatever the provider or the client said."""

from __future__ import annotations

from backoffice import crypto

from .base import ProviderError
from .models import ProviderAccount
from .redaction import redact_text
from .registry import adapter_for


def connection_check(account: ProviderAccount) -> tuple[bool, str]:
    """(ok, what was checked or what went wrong): authenticate, or make the provider's cheapest authenticated call."""
    try:
        detail = adapter_for(account).test_connection()
        ok = True
    except ProviderError as exc:
        ok, detail = False, f"{type(exc).__name__} ({exc.kind}): {exc}"
    except crypto.DecryptionError as exc:
        ok, detail = False, f"DecryptionError: {exc}"
    except Exception as exc:  # one broken adapter must not hide the other accounts' results
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return ok, redact_text(detail, _known_secrets(account))


def _known_secrets(account: ProviderAccount) -> tuple[str, ...]:
    try:
        return tuple(v for v in account.get_credentials().values() if v)
    except crypto.DecryptionError:
        return ()
