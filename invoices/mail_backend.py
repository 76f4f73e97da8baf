"""The embedded email backend: every message is kept in the database (StoredEmail) and opened from the admin,
so the back-office works end to end without an SMTP server. Set EMAIL_URL to send through a real one."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.message import EmailMessage as ParsedMessage
from io import BytesIO
from typing import Any, cast

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .models import StoredEmail


def parse_raw(raw: bytes) -> ParsedMessage:
    # policy.default builds email.message.EmailMessage objects (typeshed only promises the base Message).
    return cast(ParsedMessage, email.message_from_bytes(raw, policy=email.policy.default))


def message_bytes(message: EmailMessage) -> bytes:
    # The bytes the SMTP backend puts on the wire: RFC 5322 line endings, no "From " mangling.
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False).flatten(message.message(), linesep="\r\n")
    return buffer.getvalue()


def attachment_parts(parsed: ParsedMessage) -> list[ParsedMessage]:
    # Django nests the text/HTML pair in a multipart/alternative inside multipart/mixed; attachments sit
    # beside it, so walk the whole tree rather than the top level.
    parts = (p for p in parsed.walk() if isinstance(p, ParsedMessage))
    return [p for p in parts if p.get_content_disposition() == "attachment"]


def _html_body(message: EmailMessage) -> str:
    if message.content_subtype == "html":
        return str(message.body)
    for content, mimetype in getattr(message, "alternatives", ()):
        if mimetype == "text/html":
            return content.decode() if isinstance(content, bytes) else str(content)
    return ""


def _attachments(parsed: ParsedMessage) -> list[dict[str, Any]]:
    found = []
    for part in attachment_parts(parsed):
        payload = part.get_payload(decode=True)
        found.append(
            {
                "name": part.get_filename() or "",
                "type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found


class DatabaseEmailBackend(BaseEmailBackend):
    """Stores each message as a StoredEmail: headers, bodies, attachment list and the raw RFC 5322 bytes."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                self._store(message)
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _store(self, message: EmailMessage) -> StoredEmail:
        raw = message_bytes(message)
        parsed = parse_raw(raw)
        return StoredEmail.objects.create(
            message_id=str(parsed["Message-ID"] or "").strip()[:300],
            from_email=str(message.from_email)[:300],
            to=", ".join(message.recipients()),
            subject=str(message.subject)[:300],
            body_text=str(message.body) if message.content_subtype == "plain" else "",
            body_html=_html_body(message),
            attachments=_attachments(parsed),
            raw=raw,
        )
