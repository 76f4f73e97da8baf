"""Receiving a webhook: every raw delivery is stored, refused or not, before anything is applied.

A refused delivery (unknown account, bad signature or secret, stale, replayed, malformed) is kept as INVALID with
the reason, so staff can see who knocked and why the door stayed shut; an authenticated one is kept as RECEIVED
and then processed. Headers are stored without their secrets (the signature, the secret header, credentials by
name or value); the body is kept as received, since reprocessing reads it again, less any of the account's
credentials it quotes (VTEX's hook names the app key that configured it, which no parser reads).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.redaction import redact_headers, redact_text

from ..models import WebhookEvent, WebhookState
from .events import ProviderEvent, WebhookAuthenticationError, WebhookPayloadError
from .kinds import parse_event
from .verification import SIGNATURE_HEADERS, authenticate, secret_header

OK, BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, TOO_LARGE = 200, 400, 401, 404, 413


@dataclass(frozen=True)
class Inbound:
    """One webhook request as it arrived."""

    kind: str
    account_id: int
    url: str  # the URL the provider called, as it signed it (see verification.webhook_url)
    headers: Mapping[str, str]
    body: bytes | None  # None: larger than the server accepts


@dataclass(frozen=True)
class Receipt:
    event: WebhookEvent
    status_code: int  # what to answer the provider
    message: str


# How much of a refused delivery's body is kept.
REFUSED_BODY_KEPT = 4096


def stored_headers(kind: str, account: ProviderAccount | None, headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; the signature, the secret header and anything named or valued like a secret masked."""
    hidden = (set(SIGNATURE_HEADERS) | {secret_header(kind, account), secret_header(kind, None)}) - {""}
    secrets = account.get_credentials().values() if account is not None and account.credentials_encrypted else ()
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    return redact_headers(lowered, secrets, extra_names=hidden)


def stored_body(account: ProviderAccount | None, text: str) -> str:
    """The body as received, the account's credentials masked wherever they appear. A JSON body is masked in its
    strings only and stays JSON, so that processing it again reads the same fields; a body that quotes no
    credential is kept byte for byte."""
    secrets = tuple(account.get_credentials().values()) if account is not None and account.credentials_encrypted else ()
    if redact_text(text, secrets) == text:
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return redact_text(text, secrets)
    return json.dumps(_masked_strings(data, secrets), ensure_ascii=False)


def _masked_strings(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {key: _masked_strings(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_strings(item, secrets) for item in value]
    return redact_text(value, secrets) if isinstance(value, str) else value


def webhook_receive(inbound: Inbound, *, now: float | None = None) -> Receipt:
    """Authenticate and store one delivery; say what to answer. Authenticated events are left RECEIVED for
    processing, or SKIPPED at once when they carry nothing to apply (a ping, a type we do not act on)."""
    kind = inbound.kind
    account = ProviderAccount.objects.filter(pk=inbound.account_id, kind=kind).first()
    text = _text(inbound.body)
    with transaction.atomic():
        if account is not None:
            # One delivery of an account at a time: a salt is checked and recorded before the next is looked at.
            # FOR NO KEY UPDATE on PostgreSQL: the account's invoices and deliveries (which reference the row)
            # are written meanwhile; only other webhook deliveries of the account wait.
            ProviderAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
        status, reason, parsed = _check(inbound, account, text, now)
        state = WebhookState.RECEIVED
        if status != OK:
            state = WebhookState.INVALID
        elif parsed is not None and parsed.ignored:
            state, reason = WebhookState.SKIPPED, parsed.ignored
        # What a refused body claims is kept for reading (never trusted): event id, type and time.
        shown = parsed if parsed is not None else _best_effort(kind, text)
        event = WebhookEvent.objects.create(
            kind=kind,
            account=account,
            event_id=(shown.event_id if shown else "")[:200],
            event_type=(shown.event_type if shown else "")[:100],
            occurred_at=shown.occurred_at if shown else None,
            headers=stored_headers(kind, account, inbound.headers),
            body=_kept(status, stored_body(account, text if text is not None else _undecodable(inbound.body))),
            valid=status == OK,
            state=state,
            outcome=reason,
            processed_at=None if state == WebhookState.RECEIVED else timezone.now(),
        )
    return Receipt(event=event, status_code=status, message=reason)


def _check(
    inbound: Inbound, account: ProviderAccount | None, text: str | None, now: float | None
) -> tuple[int, str, ProviderEvent | None]:
    label = ProviderKind(inbound.kind).label
    if inbound.body is None:
        return TOO_LARGE, "The body is larger than the server accepts.", None
    if account is None:
        return NOT_FOUND, f"No {label} account with id {inbound.account_id}: check the webhook URL.", None
    if text is None:
        return BAD_REQUEST, "The body is not UTF-8.", None
    headers = {str(name).lower(): str(value) for name, value in inbound.headers.items()}
    try:
        authenticate(inbound.kind, account, url=inbound.url, headers=headers, body=text, now=now)
    except WebhookAuthenticationError as exc:
        return UNAUTHORIZED, str(exc), None
    try:
        parsed = parse_event(inbound.kind, text)
    except WebhookPayloadError as exc:
        return BAD_REQUEST, f"Not a {label} event: {exc}", None
    return OK, "", parsed


def _text(body: bytes | None) -> str | None:
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _undecodable(body: bytes | None) -> str:
    return "" if body is None else body.decode("utf-8", "replace")


def _kept(status: int, body: str) -> str:
    """A refused delivery keeps the start of its body, enough to see what knocked: anyone can send one, and a
    megabyte each would fill the table."""
    if status == OK or len(body) <= REFUSED_BODY_KEPT:
        return body
    return f"{body[:REFUSED_BODY_KEPT]}… [{len(body) - REFUSED_BODY_KEPT} more characters not kept]"


def _best_effort(kind: str, text: str | None) -> ProviderEvent | None:
    """What a refused body claims, for display only: whatever it holds, it never stops the delivery being kept."""
    if not text:
        return None
    try:
        return parse_event(kind, text)
    except Exception:
        return None
