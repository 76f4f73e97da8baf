"""The invoice domain: invoices, their lines and orders, their append-only status history, and API clients.

Only `invoices.services` writes these rows; `status` in particular is never set by a raw `.save()` elsewhere.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from backoffice import crypto

from .currencies import CURRENCY_CHOICES, is_known
from .lifecycle import InvoiceStatus
from .money import LineAmounts, line_amount, line_tax

ZERO = Decimal("0")


class SyncState(models.TextChoices):
    LOCAL = "local", "Not pushed"
    PENDING = "pending", "Pending"
    SYNCED = "synced", "In sync"
    FAILED = "failed", "Failed"


class Door(models.TextChoices):
    """Through which door a change came in."""

    ADMIN = "admin", "Admin"
    API = "api", "API"
    COMMAND = "command", "Command"
    WEBHOOK = "webhook", "Webhook"
    PROVIDER = "provider", "Provider"


class ActorType(models.TextChoices):
    USER = "user", "Staff user"
    API_CLIENT = "api_client", "API client"
    SYSTEM = "system", "System"


class InvoiceType(models.TextChoices):
    SALE = "sale", "Sale"
    RETURN = "return", "Return"  # VTEX `Input` invoices: items coming back, refunded by the platform


def validate_currency(value: str) -> None:
    if not is_known(value):
        raise ValidationError(f"Unknown currency {value!r}: use an ISO 4217 code such as EUR, USD or JPY.")


class Invoice(models.Model):
    number = models.CharField(max_length=64, unique=True, help_text="Our invoice number.")
    account = models.ForeignKey(
        "providers.ProviderAccount", on_delete=models.PROTECT, related_name="invoices", verbose_name="provider"
    )
    invoice_type = models.CharField(max_length=8, choices=InvoiceType.choices, default=InvoiceType.SALE)

    # The provider's own identifiers.
    remote_id = models.CharField(
        max_length=100, blank=True, default="", help_text="The provider's id (Rapyd invoice_…, modulus id, uuid)."
    )
    remote_number = models.CharField(
        max_length=100, blank=True, default="", help_text="The invoice number as the provider knows it."
    )
    customer_ref = models.CharField(
        max_length=100, blank=True, default="", help_text="Customer / counterparty / payer id at the provider."
    )
    receiving_account_ref = models.CharField(
        max_length=100, blank=True, default="", help_text="Receiving account / payee id at the provider."
    )

    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField(blank=True, default="")
    description = models.TextField(blank=True, default="")

    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, validators=[validate_currency])
    discount = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO, validators=[MinValueValidator(0)])
    # Derived from the lines by services.invoice_recalculate(); stored so lists, filters and sums stay cheap.
    subtotal = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO, editable=False)
    tax = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO, editable=False)
    total = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO, editable=False)

    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)

    courier = models.CharField(max_length=100, blank=True, default="")
    tracking_number = models.CharField(max_length=100, blank=True, default="")
    tracking_url = models.URLField(max_length=500, blank=True, default="")
    dispatched_at = models.DateTimeField(null=True, blank=True)

    metadata = models.JSONField(default=dict, blank=True, help_text="Free metadata (sent as Rapyd metadata).")
    provider_fields = models.JSONField(
        default=dict,
        blank=True,
        help_text="Provider fields with no canonical home, kept as given (e.g. the generic API's integer enums).",
    )

    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, editable=False, db_index=True
    )
    sync_state = models.CharField(
        max_length=8, choices=SyncState.choices, default=SyncState.LOCAL, editable=False, db_index=True
    )
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_error = models.TextField(blank=True, default="", editable=False)
    # When the newest provider event applied to this invoice happened (at the provider): an older event never
    # moves the invoice backwards.
    last_provider_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by every write through the services; the API refuses stale writes with it (optimistic concurrency).
    version = models.PositiveIntegerField(default=1, editable=False)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["issue_date"]),
            models.Index(fields=["remote_id"]),
            models.Index(fields=["remote_number"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "remote_id"], condition=~Q(remote_id=""), name="invoice_remote_id_unique_per_account"
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=models.F("issue_date")),
                name="invoice_due_not_before_issue",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="invoice_discount_not_negative"),
        ]
        permissions = (
            ("change_invoice_status", "Can change an invoice's status"),
            ("push_invoice", "Can push an invoice to its provider"),
            ("send_invoice_email", "Can send invoice emails"),
        )

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.due_date and self.issue_date and self.due_date < self.issue_date:
            errors["due_date"] = "The due date cannot be before the issue date."
        if self.discount is not None and self.discount < 0:
            errors["discount"] = "The discount cannot be negative."
        if errors:
            raise ValidationError(errors)

    @property
    def order_ids(self) -> list[str]:
        return [o.order_id for o in self.orders.all()]


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    sku = models.CharField("product / SKU id", max_length=100, blank=True, default="")
    description = models.CharField(max_length=300, blank=True, default="")
    quantity = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit_price = models.DecimalField(max_digits=18, decimal_places=4, validators=[MinValueValidator(ZERO)])
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=6,
        decimal_places=3,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="line_tax_rate_range"),
        ]

    def __str__(self) -> str:
        return self.description or self.sku or f"line {self.position}"

    def amounts(self) -> LineAmounts:
        return LineAmounts(quantity=self.quantity, unit_price=self.unit_price, tax_rate=self.tax_rate)

    @property
    def amount(self) -> Decimal:
        return line_amount(self.amounts(), self.invoice.currency)

    @property
    def tax_amount(self) -> Decimal:
        return line_tax(self.amounts(), self.invoice.currency)


class OrderPaymentStatus(models.TextChoices):
    """Order-level payment statuses (Arcadier's canonical list)."""

    PAID = "Paid", "Paid"
    ACKNOWLEDGED = "Acknowledged", "Acknowledged"
    PROCESSING = "Processing", "Processing"
    WAITING = "Waiting for Payment", "Waiting for payment"
    PENDING = "Pending", "Pending"
    FAILED = "Failed", "Failed"
    REFUNDED = "Refunded", "Refunded"


class InvoiceOrder(models.Model):
    """An order an invoice covers. An Arcadier invoice spans several orders, each with its own payee, payer and
    payment status; a VTEX order may carry several partial invoices (several rows share an order id)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="orders")
    order_id = models.CharField(max_length=100, db_index=True)
    payee_ref = models.CharField("payee id", max_length=100, blank=True, default="")
    payer_ref = models.CharField("payer id", max_length=100, blank=True, default="")
    payment_status = models.CharField(
        max_length=24, choices=OrderPaymentStatus.choices, blank=True, default=OrderPaymentStatus.PENDING
    )
    amount = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    fee = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    gateway = models.JSONField(
        default=dict, blank=True, help_text="Gateway fields as the provider names them (Code, TransactionID, …)."
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["invoice", "order_id"], name="invoice_order_unique"),
        ]

    def __str__(self) -> str:
        return self.order_id


class AppendOnlyError(Exception):
    """History rows are never edited or deleted."""


class StatusChange(models.Model):
    """One row per status change: append-only (refused here, and by a database trigger on PostgreSQL)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, blank=True, help_text="Blank for the invoice's creation."
    )
    to_status = models.CharField(max_length=16, choices=InvoiceStatus.choices)
    at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_client = models.ForeignKey(
        "invoices.ApiClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Who, as they were named at the time.")
    door = models.CharField(max_length=16, choices=Door.choices)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("at", "id")
        verbose_name = "status change"

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.from_status} → {self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Status history is append-only: a change cannot be edited.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Status history is append-only: a change cannot be deleted.")


class ApiClientRole(models.TextChoices):
    VIEWER = "viewer", "Viewer (read only)"
    OPERATOR = "operator", "Operator (change, push, email)"


class ApiClient(models.Model):
    """An inbound integration. Tokens are stored hashed; the HMAC secret (Rapyd-style signing) must be recoverable
    to verify signatures, so it is stored encrypted."""

    name = models.CharField(max_length=100, unique=True)
    accounts = models.ManyToManyField(
        "providers.ProviderAccount", blank=True, related_name="api_clients", help_text="Accounts it may act on."
    )
    role = models.CharField(max_length=16, choices=ApiClientRole.choices, default=ApiClientRole.OPERATOR)
    token_prefix = models.CharField(max_length=12, editable=False, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    app_key = models.CharField(max_length=64, unique=True, editable=False, help_text="VTEX-style app key (public).")
    app_token_hash = models.CharField(max_length=64, editable=False)
    access_key = models.CharField(max_length=64, unique=True, editable=False, help_text="Rapyd-style access key.")
    secret_key_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    def check_token(self, token: str) -> bool:
        import hmac

        return hmac.compare_digest(self.token_hash, crypto.hash_token(token))

    def check_app_token(self, app_token: str) -> bool:
        import hmac

        return hmac.compare_digest(self.app_token_hash, crypto.hash_token(app_token))

    def get_secret_key(self) -> str:
        return crypto.decrypt_str(self.secret_key_encrypted)


# --- Outbox --------------------------------------------------------------------------------------------------------
class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its turn (due at next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a worker until lease_until
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # the provider refused it, or the setup is wrong: not retried by itself
    DEAD = "dead", "Dead"  # temporary failures until the attempts ran out
    CANCELLED = "cancelled", "Cancelled"  # set aside by staff


OPEN_DELIVERY_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)
STOPPED_DELIVERY_STATES = (DeliveryState.FAILED, DeliveryState.DEAD)


class DeliveryOperation(models.TextChoices):
    PUSH = "push", "Push status and fields"
    TRACKING = "tracking", "Send tracking"
    EMAIL = "email", "Provider invoice email"


class Delivery(models.Model):
    """One change to carry to a provider: written in the same transaction as the change (transactional outbox).

    Deliveries of one invoice go out strictly in id order: a later one waits while an earlier one is pending,
    sending, failed or dead, so a provider never sees changes out of order."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries")
    account = models.ForeignKey("providers.ProviderAccount", on_delete=models.PROTECT, related_name="deliveries")
    operation = models.CharField(max_length=16, choices=DeliveryOperation.choices, default=DeliveryOperation.PUSH)
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16, blank=True, default="")
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    # Sent with every attempt where the provider honours one, so a retry after an uncertain outcome is applied once.
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=10)
    next_attempt_at = models.DateTimeField(db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    # The last attempt may have reached the provider without an answer: settle by reading back before resending.
    uncertain = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")
    last_error_kind = models.CharField(max_length=16, blank=True, default="")
    provider_message = models.TextField(blank=True, default="", help_text="What the provider said, verbatim.")
    requested_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["invoice", "state"]),
            models.Index(fields=["account", "state"]),
        ]
        permissions = (("retry_delivery", "Can retry or cancel deliveries"),)

    def __str__(self) -> str:
        target = f" → {self.to_status}" if self.to_status else ""
        return f"#{self.pk} {self.operation}{target} ({self.state})"


class AttemptOutcome(models.TextChoices):
    STARTED = "started", "Started"  # still running, or the worker died while it ran
    SUCCEEDED = "succeeded", "Succeeded"
    SETTLED = "settled", "Settled by reading back"
    TEMPORARY = "temporary", "Temporary failure"
    REJECTED = "rejected", "Rejected"
    CONFIGURATION = "configuration", "Configuration error"
    ABANDONED = "abandoned", "Abandoned (worker lost)"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100, blank=True, default="")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.STARTED)
    message = models.TextField(blank=True, default="")
    # Redacted request/response pairs (providers.base.Exchange.as_dict): safe to show staff.
    exchanges = models.JSONField(default=list, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("delivery", "number")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_unique")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.outcome}"


# --- Emails ------------------------------------------------------------------------------------------------------
class EmailState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNCERTAIN = "uncertain", "Uncertain (worker lost while sending)"


class InvoiceEmail(models.Model):
    """One request to email an invoice. Sent at most once: a retried task finds it sent (or in flight) and stops."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="emails")
    to = models.TextField(help_text="Recipients, comma-separated.")
    subject = models.CharField(max_length=300)
    state = models.CharField(max_length=16, choices=EmailState.choices, default=EmailState.QUEUED, db_index=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    requested_by = models.CharField(max_length=150, blank=True, default="")
    door = models.CharField(max_length=16, choices=Door.choices, default=Door.ADMIN)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"email #{self.pk} for {self.invoice_id} ({self.state})"


class StoredEmail(models.Model):
    """A message kept by the embedded email backend, so staff can open what was 'sent' without an SMTP server."""

    message_id = models.CharField(max_length=300, db_index=True)
    from_email = models.CharField(max_length=300)
    to = models.TextField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True, help_text="Name, type and size of each attachment.")
    raw = models.BinaryField(help_text="The whole message as sent (RFC 5322).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return self.subject


# --- Inbound API bookkeeping ---------------------------------------------------------------------------------------
class ApiIdempotencyRecord(models.Model):
    """The first answer given to an API client for an idempotency key: a replay gets it back and changes nothing.

    A row with no status yet marks a request still being processed, so a concurrent replay is refused rather than
    applied twice."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=32, help_text="Which API the key belongs to (a mirror's kind or 'v1').")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="Hash of method, path and body of the first request.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "scope", "key"], name="api_idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ApiNonce(models.Model):
    """A signature salt already used by a client inside the freshness window (Rapyd-style replay protection)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "value"], name="api_nonce_unique")]

    def __str__(self) -> str:
        return self.value


# --- Inbound webhooks ----------------------------------------------------------------------------------------------
class WebhookState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    SKIPPED = "skipped", "Skipped"  # valid, but nothing to do (a duplicate, an older event, an unknown invoice)
    FAILED = "failed", "Failed"  # valid, but applying it failed: can be reprocessed
    INVALID = "invalid", "Invalid"  # refused: bad signature or secret, stale, malformed


class WebhookEvent(models.Model):
    """Every raw webhook delivery a provider made, valid or not, and how its processing ended."""

    kind = models.CharField(max_length=16, db_index=True)
    account = models.ForeignKey(
        "providers.ProviderAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    event_id = models.CharField(max_length=200, blank=True, default="", db_index=True)
    event_type = models.CharField(max_length=100, blank=True, default="")
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When the provider says it happened.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Request headers, secrets removed.")
    body = models.TextField(blank=True, default="")
    valid = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=WebhookState.choices, default=WebhookState.RECEIVED, db_index=True)
    outcome = models.TextField(blank=True, default="", help_text="How processing ended, in words.")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["kind", "event_id"])]
        permissions = (("reprocess_webhookevent", "Can reprocess webhook events"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.event_type or 'event'} {self.event_id or self.pk} ({self.state})"


# --- Reconciliation --------------------------------------------------------------------------------------------------
class Reconciliation(models.Model):
    """One run comparing our invoices with what their providers hold."""

    requested_by = models.CharField(max_length=150, blank=True, default="")
    door = models.CharField(max_length=16, choices=Door.choices, default=Door.COMMAND)
    provider = models.CharField(max_length=100, blank=True, default="", help_text="Account or kind filter, if any.")
    since = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Invoices per classification.")

    class Meta:
        ordering = ("-id",)
        permissions = (("run_reconciliation", "Can reconcile invoices with providers"),)

    def __str__(self) -> str:
        return f"reconciliation #{self.pk}"


class ReconciliationResult(models.TextChoices):
    IN_SYNC = "in_sync", "In sync"
    REMOTE_AHEAD = "remote_ahead", "Remote ahead"
    LOCAL_AHEAD = "local_ahead", "Local ahead"
    MISSING_REMOTELY = "missing_remotely", "Missing remotely"
    CONFLICT = "conflict", "Conflict"
    UNREADABLE = "unreadable", "Cannot be read back"  # no read endpoint, or the provider could not be reached


class ReconciliationItem(models.Model):
    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reconciliation_items")
    result = models.CharField(max_length=20, choices=ReconciliationResult.choices, db_index=True)
    local_status = models.CharField(max_length=16, blank=True, default="")
    remote_status = models.CharField(max_length=32, blank=True, default="", help_text="Ours, mapped from theirs.")
    remote_word = models.CharField(max_length=64, blank=True, default="", help_text="The provider's own word.")
    detail = models.TextField(blank=True, default="")
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_by = models.CharField(max_length=150, blank=True, default="")
    fix = models.CharField(max_length=32, blank=True, default="", help_text="adopt_remote or push_local.")

    class Meta:
        ordering = ("reconciliation", "id")
        constraints = [
            models.UniqueConstraint(fields=["reconciliation", "invoice"], name="reconciliation_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.result}"
