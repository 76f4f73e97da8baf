"""What the operator commands share: invoice filters, a progress bar and exit codes.

Exit codes: 0 everything done, 1 some rows failed (each named on stderr), 2 bad arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date

from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice, SyncState
from providers.models import ProviderAccount

BAD_ARGUMENTS = 2
SOME_FAILED = 1
PROGRESS_FROM = 20  # below this many rows a progress bar is noise
BAR_WIDTH = 30


def bad_arguments(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_ARGUMENTS)


def split_values(values: list[str] | None) -> list[str]:
    """Accept "--status open paid", "--status open,paid" and "--status open --status paid" alike."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _plain(text: str) -> str:
    return text  # stderr is painted red by default; a progress bar is not an error


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per tenth in a log."""

    def __init__(self, command: BaseCommand, total: int) -> None:
        self.command = command
        self.total = total
        self.done = 0

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.total < PROGRESS_FROM:
            return
        stderr = self.command.stderr
        interactive = stderr.isatty()
        tenth = max(self.total // 10, 1)
        if not interactive and self.done % tenth and self.done != self.total:
            return
        filled = BAR_WIDTH * self.done // self.total
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total}"
        ending = ("\n" if self.done == self.total else "") if interactive else "\n"
        stderr.write(f"\r{bar}" if interactive else bar, style_func=_plain, ending=ending)
        stderr.flush()


def add_invoice_filters(parser: CommandParser) -> None:
    parser.add_argument("--status", nargs="+", action="extend", help="Invoice status(es), e.g. open paid.")
    parser.add_argument(
        "--provider", nargs="+", action="extend", help="Provider account name(s) or kind(s), e.g. rapyd."
    )
    parser.add_argument("--sync-state", nargs="+", action="extend", help="Sync state(s), e.g. failed pending.")
    parser.add_argument("--issued-since", help="Issue date on or after YYYY-MM-DD.")
    parser.add_argument("--issued-until", help="Issue date on or before YYYY-MM-DD.")
    parser.add_argument("--ids", nargs="+", action="extend", help="Invoice ids.")


def select_invoices(options: dict[str, Any], *, require_filter: bool = True) -> QuerySet[Invoice]:
    """The invoices the filters name, ordered by id; refuses unknown values with exit code 2."""
    statuses, providers = split_values(options.get("status")), split_values(options.get("provider"))
    sync_states, raw_ids = split_values(options.get("sync_state")), split_values(options.get("ids"))
    since, until = options.get("issued_since"), options.get("issued_until")
    if require_filter and not (statuses or providers or sync_states or raw_ids or since or until):
        raise bad_arguments(
            "Give at least one filter (--status, --provider, --ids, …): 'every invoice' is never a default."
        )
    queryset: QuerySet[Invoice] = Invoice.objects.order_by("id")
    if statuses:
        unknown = sorted(set(statuses) - set(InvoiceStatus.values))
        if unknown:
            raise bad_arguments(f"Unknown status {', '.join(unknown)}; use one of {', '.join(InvoiceStatus.values)}.")
        queryset = queryset.filter(status__in=statuses)
    if sync_states:
        unknown = sorted(set(sync_states) - set(SyncState.values))
        if unknown:
            raise bad_arguments(f"Unknown sync state {', '.join(unknown)}; use one of {', '.join(SyncState.values)}.")
        queryset = queryset.filter(sync_state__in=sync_states)
    if providers:
        matching = ProviderAccount.objects.filter(Q(name__in=providers) | Q(kind__in=providers))
        known = {a.name for a in matching} | {a.kind for a in matching}
        unknown = sorted(set(providers) - known)
        if unknown:
            raise bad_arguments(f"No provider account or kind named {', '.join(unknown)}.")
        queryset = queryset.filter(account__in=matching)
    for name, value, lookup in (("--issued-since", since, "gte"), ("--issued-until", until, "lte")):
        if value:
            day = parse_date(value) if isinstance(value, str) else None
            if day is None:
                raise bad_arguments(f"{name} takes a date as YYYY-MM-DD, got {value!r}.")
            queryset = queryset.filter(**{f"issue_date__{lookup}": day})
    if raw_ids:
        try:
            ids = [int(i) for i in raw_ids]
        except ValueError:
            raise bad_arguments(f"--ids takes invoice ids (numbers), got {' '.join(raw_ids)}.") from None
        found = set(Invoice.objects.filter(pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise bad_arguments(f"No invoice with id {', '.join(map(str, missing))}.")
        queryset = queryset.filter(pk__in=ids)
    return queryset


def iter_ids(queryset: QuerySet[Any], chunk_size: int = 2000) -> Iterator[int]:
    """Primary keys streamed from the database, so memory stays flat however many rows match."""
    yield from queryset.values_list("pk", flat=True).iterator(chunk_size=chunk_size)
