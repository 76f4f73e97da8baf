"""The adapter interface every provider implements, and the types adapters speak.

Adapters receive plain data (`InvoiceData`, `AccountConfig`, `Change`), never Django models; they return our result
types and raise our error classes, never raw `requests` exceptions; they write nothing to the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from invoices.lifecycle import IllegalTransition

if TYPE_CHECKING:
    from .http import HttpClient
    from .tokens import TokenStore


class ErrorKind(StrEnum):
    TEMPORARY = "temporary"  # timeouts, 5xx, 429, dropped connections: retry later
    REJECTED = "rejected"  # a 4xx or a business refusal: record the provider's message, never retry
    CONFIGURATION = "configuration"  # bad or missing credentials, bad base URL, unsupported operation: fix setup


class Operation(StrEnum):
    PUSH = "push"  # push the invoice's status / fields
    TRACKING = "tracking"  # send tracking information (VTEX)
    EMAIL = "email"  # ask the provider to send its own invoice email (Arcadier)
    FETCH = "fetch"  # read back the remote state


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange, already redacted: safe to store, log and show."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status_code: int | None
    response_headers: dict[str, str]
    response_body: str
    duration_ms: float
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status_code": self.status_code,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "duration_ms": round(self.duration_ms, 1),
            "error": self.error,
        }


class ProviderError(Exception):
    kind: ClassVar[ErrorKind]

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider_code: str = "",
        retry_after: float | None = None,
        uncertain: bool = False,
        exchanges: tuple[Exchange, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.provider_code = provider_code
        self.retry_after = retry_after
        # True when the request may have reached the provider and taken effect (read timeout, dropped response,
        # unreadable answer): the relay settles it by reading back, or retries with the same idempotency key.
        self.uncertain = uncertain
        self.exchanges = exchanges

    def __str__(self) -> str:
        code = f" [{self.provider_code}]" if self.provider_code else ""
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.message}{code}{status}"


class TemporaryError(ProviderError):
    kind = ErrorKind.TEMPORARY


class RejectedError(ProviderError):
    kind = ErrorKind.REJECTED


class ConfigurationError(ProviderError):
    kind = ErrorKind.CONFIGURATION


class UnsupportedOperation(ConfigurationError):
    """The provider has no endpoint for this operation (e.g. modulus has no read endpoint)."""


class ProviderRuleError(Exception):
    """An edit the invoice's provider would refuse (e.g. Rapyd updates an invoice only while it is draft)."""


@dataclass(frozen=True)
class AccountConfig:
    id: int | None
    kind: str
    name: str
    base_url: str
    credentials: dict[str, str] = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    connect_timeout: float = 5.0
    read_timeout: float = 20.0

    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in self.credentials.values() if v)


@dataclass(frozen=True)
class LineData:
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal


@dataclass(frozen=True)
class OrderData:
    order_id: str
    payee_ref: str = ""
    payer_ref: str = ""
    payment_status: str = ""
    amount: Decimal | None = None
    fee: Decimal | None = None
    gateway: dict[str, Any] = field(default_factory=dict)
    paid_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceData:
    """An invoice as adapters see it: plain values, with totals already computed by our money rules."""

    id: int | None
    number: str
    invoice_type: str
    status: str
    currency: str
    customer_name: str
    issue_date: date
    subtotal: Decimal
    tax: Decimal
    discount: Decimal
    total: Decimal
    remote_id: str = ""
    remote_number: str = ""
    customer_ref: str = ""
    receiving_account_ref: str = ""
    customer_email: str = ""
    description: str = ""
    due_date: date | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    courier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    dispatched_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    provider_fields: dict[str, Any] = field(default_factory=dict)
    lines: tuple[LineData, ...] = ()
    orders: tuple[OrderData, ...] = ()


@dataclass(frozen=True)
class Change:
    """What to send: an operation, and for a push the status move it carries (None for a fields-only update)."""

    operation: Operation
    idempotency_key: str
    to_status: str | None = None
    from_status: str | None = None


@dataclass(frozen=True)
class OutboundRequest:
    """An exact request as it would be sent, with secrets masked: what the dry-run preview shows."""

    method: str
    url: str
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Result:
    """What the provider answered to an operation, in our terms."""

    ok: bool
    message: str = ""
    remote_id: str = ""
    remote_number: str = ""
    remote_status: str = ""  # the provider's own word
    status: str | None = None  # our canonical status, when the provider reports one
    data: dict[str, Any] = field(default_factory=dict)  # the provider's answer, redacted
    exchanges: tuple[Exchange, ...] = ()


@dataclass(frozen=True)
class RemoteState:
    exists: bool
    status: str | None = None  # canonical
    remote_status: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    exchanges: tuple[Exchange, ...] = ()


class ProviderAdapter(ABC):
    kind: ClassVar[str]
    supports: ClassVar[frozenset[Operation]] = frozenset({Operation.PUSH})

    def __init__(
        self, account: AccountConfig, *, http: HttpClient | None = None, tokens: TokenStore | None = None
    ) -> None:
        from .http import HttpClient
        from .tokens import TokenStore

        self.account = account
        self.http = http or HttpClient.for_account(account)
        self.tokens = tokens or TokenStore(account)

    # -- rules, checked before anything is recorded --------------------------------------------------------------
    @classmethod
    def check_transition(cls, invoice: InvoiceData, to_status: str) -> None:
        """Raise IllegalTransition when the provider would refuse this status move (default: no rule)."""
        return None

    @classmethod
    def check_edit(cls, invoice: InvoiceData, changed_fields: set[str]) -> None:
        """Raise ProviderRuleError when the provider would refuse this edit (default: no rule)."""
        return None

    # -- what a recorded change must carry to the provider -----------------------------------------------------
    @classmethod
    def transition_operations(cls, invoice: InvoiceData, to_status: str) -> tuple[Operation, ...]:
        """Deliveries a status move needs (none, e.g., when voiding a draft the provider never saw)."""
        if invoice.status == "draft" and to_status == "void" and not invoice.remote_id:
            return ()
        return (Operation.PUSH,)

    @classmethod
    def edit_operations(cls, invoice: InvoiceData, changed_fields: set[str]) -> tuple[Operation, ...]:
        """Deliveries an edit needs. A draft the provider has not seen yet has nothing to sync."""
        if invoice.status == "draft" and not invoice.remote_id:
            return ()
        return (Operation.PUSH,)

    @classmethod
    def refuse(cls, invoice: InvoiceData, to_status: str, detail: str) -> IllegalTransition:
        return IllegalTransition(invoice.status, to_status, detail)

    # -- operations --------------------------------------------------------------------------------------------
    @abstractmethod
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        """The exact request(s) `execute` would send, secrets masked, without touching the network."""

    @abstractmethod
    def push(self, invoice: InvoiceData, change: Change) -> Result:
        """Push the invoice's status and fields to the provider."""

    @abstractmethod
    def test_connection(self) -> str:
        """Authenticate (or make the cheapest authenticated call) and say what was checked."""

    def send_tracking(self, invoice: InvoiceData, change: Change) -> Result:
        raise UnsupportedOperation(f"{self.kind} has no tracking endpoint")

    def send_email(self, invoice: InvoiceData, change: Change) -> Result:
        raise UnsupportedOperation(f"{self.kind} has no invoice email endpoint")

    def fetch_remote(self, invoice: InvoiceData) -> RemoteState:
        raise UnsupportedOperation(f"{self.kind} has no endpoint to read an invoice back")

    def execute(self, invoice: InvoiceData, change: Change) -> Result:
        if change.operation not in self.supports:
            raise UnsupportedOperation(f"{self.kind} does not support {change.operation}")
        if change.operation == Operation.PUSH:
            return self.push(invoice, change)
        if change.operation == Operation.TRACKING:
            return self.send_tracking(invoice, change)
        if change.operation == Operation.EMAIL:
            return self.send_email(invoice, change)
        raise UnsupportedOperation(f"{change.operation} is not an outbound change")
