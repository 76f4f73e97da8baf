"""The providers that call us back, and the parser of each one's events (providers/<kind>/webhooks.py)."""

from __future__ import annotations

from collections.abc import Callable

from providers.arcadier import webhooks as arcadier
from providers.kinds import ProviderKind
from providers.rapyd import webhooks as rapyd
from providers.vtex import webhooks as vtex

from .events import ProviderEvent

PARSERS: dict[str, Callable[[str], ProviderEvent]] = {
    ProviderKind.RAPYD: rapyd.parse,
    ProviderKind.ARCADIER: arcadier.parse,
    ProviderKind.VTEX: vtex.parse,
}
WEBHOOK_KINDS: tuple[str, ...] = tuple(PARSERS)


def parse_event(kind: str, body: str) -> ProviderEvent:
    """The provider's event in our terms; WebhookPayloadError when the body is not one."""
    return PARSERS[kind](body)
