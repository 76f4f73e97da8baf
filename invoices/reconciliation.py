"""Reconciliation: compare our invoices with what their providers hold, then fix the differences on request.

A run reads each matching invoice back from its provider (where the provider has a read endpoint), classifies
the two statuses along the lifecycle and stores one item per invoice, with the counts on the run. A run changes
no invoice. Fixes are separate and per item, and go through the services like any other change:

- *adopt the remote state* walks the lifecycle to the provider's status with `invoice_transition`, through the
  door `provider`, which queues no delivery back to the provider that reported it;
- *push ours again* queues a push of the invoice as it stands (`invoice_push`), which the relay delivers.

Runs stream the invoices in keyset-paginated chunks (`pk > last`, ordered by pk), so memory and the number of
queries per invoice stay flat over any number of invoices, and no transaction or cursor is held open while a
provider is being called.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.crypto import DecryptionError
from providers.base import Operation, ProviderAdapter, ProviderError, RemoteState
from providers.models import ProviderAccount
from providers.redaction import redact_text
from providers.registry import adapter_for

from .actors import Actor
from .deliveries import invoice_push, invoice_push_check
from .lifecycle import IllegalTransition, InvoiceStatus, label, lifecycle_path
from .models import Door, Invoice, Reconciliation, ReconciliationItem, SyncState
from .models import ReconciliationResult as Result
from .selectors import invoice_data
from .services import invoice_transition

logger = logging.getLogger("invoices.reconciliation")

S = InvoiceStatus
CHUNK_SIZE = 500
DIFFERENCES: frozenset[str] = frozenset(Result.values) - {Result.IN_SYNC}


class ReconciliationError(Exception):
    """A selection that names nothing reconcilable (an unknown provider, unknown invoice ids)."""


class FixRefused(Exception):
    """A fix that does not apply to an item, said in words staff can act on."""


class Fix(models.TextChoices):
    ADOPT_REMOTE = "adopt_remote", "Adopt the remote state"
    PUSH_LOCAL = "push_local", "Push ours again"


# Which findings each fix answers. Everything else is refused with the reason in REFUSALS.
APPLIES_TO: dict[str, frozenset[str]] = {
    Fix.ADOPT_REMOTE: frozenset({Result.REMOTE_AHEAD}),
    Fix.PUSH_LOCAL: frozenset({Result.LOCAL_AHEAD, Result.MISSING_REMOTELY}),
}

REFUSALS: dict[tuple[str, str], str] = {
    (Fix.ADOPT_REMOTE, Result.IN_SYNC): "nothing to adopt: the provider already agrees with ours.",
    (Fix.ADOPT_REMOTE, Result.LOCAL_AHEAD): "the provider is behind ours ({remote}): push ours again instead.",
    (Fix.ADOPT_REMOTE, Result.MISSING_REMOTELY): "the provider holds no such invoice, so there is no state to "
    "adopt: push ours again instead.",
    (Fix.ADOPT_REMOTE, Result.CONFLICT): "the lifecycle cannot reach {remote} from {local}: settle this one by hand.",
    (Fix.ADOPT_REMOTE, Result.UNREADABLE): "the provider's state could not be read back, so there is nothing to adopt.",
    (Fix.PUSH_LOCAL, Result.IN_SYNC): "nothing to push: the provider already agrees with ours.",
    (Fix.PUSH_LOCAL, Result.REMOTE_AHEAD): "the provider is ahead of ours ({remote}): pushing ours would take it "
    "back. Adopt the remote state instead.",
    (Fix.PUSH_LOCAL, Result.CONFLICT): "neither status leads to the other along the lifecycle, so the provider "
    "would refuse ours ({local}): settle this one by hand.",
    (Fix.PUSH_LOCAL, Result.UNREADABLE): "the provider's state could not be read back, so no difference is known: "
    "use “Push to provider” on the invoice if it needs sending.",
}


# --- The lifecycle, read as a graph ------------------------------------------------------------------------------
def classify(local_status: str, remote_status: str) -> str:
    """Which side is ahead: the one whose status the other's leads to along the lifecycle."""
    if local_status == remote_status:
        return Result.IN_SYNC
    if lifecycle_path(local_status, remote_status) is not None:
        return Result.REMOTE_AHEAD
    if lifecycle_path(remote_status, local_status) is not None:
        return Result.LOCAL_AHEAD
    return Result.CONFLICT


# --- Comparing one invoice ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    result: str
    remote_status: str = ""
    remote_word: str = ""
    detail: str = ""


def judge(invoice: Invoice, remote: RemoteState, provider_name: str) -> Finding:
    """Classify what the provider answered against our invoice (no I/O)."""
    local, word = invoice.status, remote.remote_status[:64]
    if not remote.exists:
        if local in (S.DRAFT, S.VOID) and not invoice.remote_id:
            # Never sent: a draft, or a draft dropped before it went. The provider cannot know it yet.
            return Finding(Result.IN_SYNC, remote_word=word, detail=f"{provider_name} has not received it yet.")
        reason = str(remote.data.get("reason") or "").strip()
        detail = f"{provider_name} holds no such invoice" + (f" ({reason})." if reason else ".")
        return Finding(Result.MISSING_REMOTELY, remote_word=word, detail=detail)
    status = remote.status or ""
    if status not in S.values:
        return Finding(
            Result.UNREADABLE,
            remote_word=word,
            detail=f"{provider_name} answered with {word or 'no status'!r}, which has no status of ours.",
        )
    result = classify(local, status)
    theirs, ours = f"{label(status)} ({word})" if word else label(status), label(local)
    details: dict[str, str] = {
        Result.IN_SYNC: "",
        Result.REMOTE_AHEAD: f"{provider_name} has moved on to {theirs}; ours is still {ours}.",
        Result.LOCAL_AHEAD: f"{provider_name} still shows {theirs}; ours is {ours}: {_why_behind(invoice)}",
        Result.CONFLICT: f"{provider_name} says {theirs} and ours is {ours}: neither leads to the other along the "
        "lifecycle.",
    }
    return Finding(result, remote_status=status, remote_word=word, detail=details[result])


def _why_behind(invoice: Invoice) -> str:
    if invoice.sync_state == SyncState.PENDING:
        return "a delivery is still queued, so it may simply not have gone yet."
    if invoice.sync_state == SyncState.FAILED:
        return "the last delivery failed or ran out of attempts."
    return "the change never reached it (a delivery was lost)."


class _Reader:
    """Reads invoices back, one adapter per account for the whole run (or the reason there is none)."""

    def __init__(self) -> None:
        self._adapters: dict[int, ProviderAdapter | str] = {}

    def adapter(self, account: ProviderAccount) -> ProviderAdapter | str:
        if account.pk not in self._adapters:
            self._adapters[account.pk] = self._build(account)
        return self._adapters[account.pk]

    @staticmethod
    def _build(account: ProviderAccount) -> ProviderAdapter | str:
        if not account.enabled:
            return f"The provider account {account.name} is disabled."
        try:
            adapter = adapter_for(account)
        except DecryptionError:
            return f"The credentials of {account.name} cannot be decrypted with the configured keys."
        except ProviderError as exc:
            return f"{account.name} cannot be read: {exc}"
        if Operation.FETCH not in adapter.supports:
            return f"{account.get_kind_display()} has no endpoint to read an invoice back."
        return adapter

    def compare(self, invoice: Invoice) -> Finding:
        account = invoice.account
        adapter = self.adapter(account)
        if isinstance(adapter, str):
            return Finding(Result.UNREADABLE, detail=adapter)
        try:
            remote = adapter.fetch_remote(invoice_data(invoice))
        except ProviderError as exc:
            return Finding(Result.UNREADABLE, detail=f"{account.name} could not be read: {exc}")
        except Exception as exc:
            # One invoice the adapter chokes on must not stop a run over every other invoice.
            logger.exception("reading invoice %s back from %s failed unexpectedly", invoice.pk, account.name)
            message = redact_text(f"{type(exc).__name__}: {exc}", adapter.account.secret_values())
            return Finding(Result.UNREADABLE, detail=f"{account.name} could not be read: unexpected {message}")
        return judge(invoice, remote, account.name)


# --- Runs ---------------------------------------------------------------------------------------------------------
def invoices_to_reconcile(
    *,
    provider: str | None = None,
    since: date | None = None,
    invoice_ids: Iterable[int] | QuerySet[Any, int] | None = None,
) -> QuerySet[Invoice]:
    """The invoices a run covers: of one account (by name) or one provider kind, issued on or after `since`,
    and/or with the given ids. Refuses a provider or ids that name nothing."""
    queryset = Invoice.objects.all()
    if provider:
        accounts = ProviderAccount.objects.filter(Q(name=provider) | Q(kind=provider))
        if not accounts.exists():
            raise ReconciliationError(f"No provider account or kind named {provider!r}.")
        queryset = queryset.filter(account__in=accounts)
    if since is not None:
        queryset = queryset.filter(issue_date__gte=since)
    if isinstance(invoice_ids, QuerySet):
        # A selection made in the admin ("select all" included): kept as a subquery, never a list of ids.
        queryset = queryset.filter(pk__in=invoice_ids)
    elif invoice_ids is not None:
        ids = sorted(set(invoice_ids))
        found = set(Invoice.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise ReconciliationError(f"No invoice with id {', '.join(map(str, missing[:20]))}.")
        queryset = queryset.filter(pk__in=ids)
    return queryset


def _chunks(queryset: QuerySet[Invoice], size: int) -> Iterator[list[Invoice]]:
    """Keyset pages of invoices with what reading them back needs; nothing stays open between pages."""
    pages = queryset.select_related("account").prefetch_related("lines", "orders").order_by("pk")
    last = 0
    while True:
        page = list(pages.filter(pk__gt=last)[:size])
        if page:
            yield page
        if len(page) < size:
            return
        last = page[-1].pk


def reconcile_invoices(
    *,
    provider: str | None = None,
    since: date | None = None,
    invoice_ids: Iterable[int] | QuerySet[Any, int] | None = None,
    actor: Actor,
    door: str,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Reconciliation:
    """Compare every matching invoice with its provider and record one item per invoice.

    Provider errors never stop a run: the invoice is recorded as unreadable, with the reason. The counts are
    saved after every chunk, so a long run shows how far it got; `finished_at` is set once it is done."""
    queryset = invoices_to_reconcile(provider=provider, since=since, invoice_ids=invoice_ids)
    run = Reconciliation.objects.create(
        requested_by=actor.label[:150], door=door, provider=(provider or "")[:100], since=since
    )
    counts: Counter[str] = Counter({result: 0 for result in Result.values})
    reader = _Reader()
    for page in _chunks(queryset, chunk_size):
        items = []
        for invoice in page:
            finding = reader.compare(invoice)
            # A prefetched set refers back to its invoice: dropping it breaks the cycle, so each page is freed
            # as soon as the next one replaces it instead of waiting for a full garbage collection.
            invoice.__dict__.pop("_prefetched_objects_cache", None)
            counts[finding.result] += 1
            items.append(
                ReconciliationItem(
                    reconciliation_id=run.pk,
                    invoice_id=invoice.pk,
                    result=finding.result,
                    local_status=invoice.status,
                    remote_status=finding.remote_status,
                    remote_word=finding.remote_word,
                    detail=finding.detail,
                )
            )
        ReconciliationItem.objects.bulk_create(items)
        run.counts = dict(counts)
        run.save(update_fields=["counts"])
        if on_progress is not None:
            on_progress(len(page))
    run.counts = dict(counts)
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    return run


def differences(run: Reconciliation) -> int:
    return sum(count for result, count in run.counts.items() if result in DIFFERENCES)


# --- Fixes --------------------------------------------------------------------------------------------------------
def fix_refusal(item: ReconciliationItem, fix: str) -> str:
    """Why `fix` does not apply to this item as things stand, or "" when it does (confirmation pages show it
    before anything is done; the fix itself checks again under a lock)."""
    if fix not in APPLIES_TO:
        return f"unknown fix {fix!r}."
    if item.fixed_at is not None:
        when = timezone.localtime(item.fixed_at).strftime("%Y-%m-%d %H:%M")
        how = dict(Fix.choices).get(item.fix, item.fix or "fixed")
        return f"already fixed ({str(how).lower()}) by {item.fixed_by or 'someone'} on {when}."
    if item.result not in APPLIES_TO[fix]:
        reason = REFUSALS[(fix, item.result)]
        return reason.format(remote=label(item.remote_status or item.remote_word), local=label(item.local_status))
    current = item.invoice.status
    if current != item.local_status:
        return (
            f"the invoice is {label(current)} now, not {label(item.local_status)} as when it was compared: "
            "reconcile it again."
        )
    if fix == Fix.ADOPT_REMOTE and lifecycle_path(current, item.remote_status) is None:
        return f"the lifecycle cannot reach {label(item.remote_status)} from {label(current)}."
    return ""


def _locked_item(item_id: int) -> ReconciliationItem:
    item = (
        ReconciliationItem.objects.select_for_update(of=("self",))
        .select_related("reconciliation", "invoice__account")
        .get(pk=item_id)
    )
    # The invoice's current status decides; lock it too, so nothing moves it between the check and the fix.
    item.invoice = Invoice.objects.select_for_update(of=("self",)).select_related("account").get(pk=item.invoice_id)
    return item


def _mark_fixed(item: ReconciliationItem, fix: str, actor: Actor) -> None:
    item.fixed_at = timezone.now()
    item.fixed_by = actor.label[:150]
    item.fix = fix
    item.save(update_fields=["fixed_at", "fixed_by", "fix"])


def reconciliation_item_adopt(*, item_id: int, actor: Actor) -> str:
    """Bring the invoice to the provider's status along the lifecycle, one recorded step at a time, through the
    door `provider` (no delivery goes back). All steps or none. Returns what was done."""
    try:
        with transaction.atomic():
            item = _locked_item(item_id)
            if refusal := fix_refusal(item, Fix.ADOPT_REMOTE):
                raise FixRefused(refusal)
            invoice = item.invoice
            word = f" ({item.remote_word})" if item.remote_word else ""
            reason = f"Adopted from {invoice.account.name}{word} by reconciliation #{item.reconciliation_id}"
            path = lifecycle_path(invoice.status, item.remote_status) or ()
            for step in path:
                invoice_transition(
                    invoice_id=invoice.pk, to_status=step, actor=actor, door=Door.PROVIDER, reason=reason
                )
            _mark_fixed(item, Fix.ADOPT_REMOTE, actor)
    except (IllegalTransition, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        raise FixRefused(message) from exc
    walked = " → ".join(label(step) for step in path)
    return f"now {label(item.remote_status)}, as at {invoice.account.name} (through {walked})"


def reconciliation_item_push(*, item_id: int, actor: Actor) -> str:
    """Queue a push of the invoice as it stands; the relay delivers it. Returns what was done."""
    invoice_id = ReconciliationItem.objects.values_list("invoice_id", flat=True).get(pk=item_id)
    # The dry run first, outside any transaction: it may decrypt credentials and build the requests.
    check = invoice_push_check(invoice_id=invoice_id)
    with transaction.atomic():
        item = _locked_item(item_id)
        if refusal := fix_refusal(item, Fix.PUSH_LOCAL):
            raise FixRefused(refusal)
        if not check.ok:
            raise FixRefused(f"it cannot be pushed: {check.refusal}")
        delivery = invoice_push(invoice_id=invoice_id, actor=actor)
        _mark_fixed(item, Fix.PUSH_LOCAL, actor)
    return f"push queued as delivery #{delivery.pk}"


FIXERS: dict[str, Callable[..., str]] = {
    Fix.ADOPT_REMOTE: reconciliation_item_adopt,
    Fix.PUSH_LOCAL: reconciliation_item_push,
}


@dataclass(frozen=True)
class FixOutcome:
    item_id: int
    invoice_number: str
    ok: bool
    message: str


def reconciliation_items_fix(*, item_ids: Iterable[int], fix: str, actor: Actor) -> Iterator[FixOutcome]:
    """Apply one fix to each item, each in its own transaction: a refusal does not hold back the others."""
    if fix not in FIXERS:
        raise FixRefused(f"Unknown fix {fix!r}: use {' or '.join(FIXERS)}.")
    for item_id in item_ids:
        number = (
            ReconciliationItem.objects.filter(pk=item_id).values_list("invoice__number", flat=True).first()
            or f"item #{item_id}"
        )
        try:
            message = FIXERS[fix](item_id=item_id, actor=actor)
        except FixRefused as exc:
            yield FixOutcome(item_id, number, False, str(exc))
        except (ReconciliationItem.DoesNotExist, Invoice.DoesNotExist):
            yield FixOutcome(item_id, number, False, "it no longer exists.")
        else:
            yield FixOutcome(item_id, number, True, message)


def applicable_item_ids(run: Reconciliation, fix: str, *, chunk_size: int = CHUNK_SIZE) -> Iterator[int]:
    """The ids of the run's unfixed items that `fix` answers, in keyset pages (flat memory)."""
    pending = ReconciliationItem.objects.filter(
        reconciliation=run, result__in=APPLIES_TO[fix], fixed_at__isnull=True
    ).order_by("pk")
    last = 0
    while True:
        page: Sequence[int] = list(pending.filter(pk__gt=last).values_list("pk", flat=True)[:chunk_size])
        yield from page
        if len(page) < chunk_size:
            return
        last = page[-1]
