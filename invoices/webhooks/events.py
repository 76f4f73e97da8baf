"""What a provider's webhook says, in our terms: the parsers in providers/<kind>/webhooks.py return these.

Kept free of Django models, like providers.base, so the parsers stay pure functions of the request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class WebhookAuthenticationError(Exception):
    """The delivery is not from the provider: bad signature or secret, stale timestamp, reused salt."""


class WebhookPayloadError(ValueError):
    """The body is not the provider's event (not JSON, a required field missing or of the wrong type)."""


@dataclass(frozen=True)
class InvoiceRef:
    """How the event names our invoice, within the account the webhook URL names."""

    remote_id: str = ""  # the provider's invoice id (Rapyd invoice_…)
    number: str = ""  # the invoice number: our remote_number, else our number (Arcadier InvoiceNo)
    order_id: str = ""  # an order the invoice covers (VTEX OrderId)

    def __str__(self) -> str:
        if self.remote_id:
            return f"remote id {self.remote_id}"
        if self.number:
            return f"number {self.number}"
        return f"order {self.order_id}"


@dataclass(frozen=True)
class OrderPayment:
    """The payment state of one order of the invoice (Arcadier)."""

    order_id: str
    payment_status: str  # Arcadier's canonical PaymentStatus word, as our InvoiceOrder keeps it
    amount: Decimal | None = None
    fee: Decimal | None = None
    gateway: dict[str, str] = field(default_factory=dict)
    paid_at: datetime | None = None


@dataclass(frozen=True)
class ProviderEvent:
    event_id: str
    event_type: str
    occurred_at: datetime | None  # when it happened at the provider: an older event never undoes a newer one
    invoice: InvoiceRef | None = None
    status: str | None = None  # our status, as the event shows the invoice
    paid_at: datetime | None = None
    order_payments: tuple[OrderPayment, ...] = ()
    ignored: str = ""  # why there is nothing to apply (a ping, a type we do not act on); "" otherwise
