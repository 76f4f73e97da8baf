"""Compare invoices with what their providers hold and, on request, fix the differences.

    manage.py reconcile_invoices --provider rapyd --since 2026-01-01
    manage.py reconcile_invoices --ids 12 15 --fix adopt-remote

Every run is kept (admin: Reconciliations) with one item per invoice. Exit status: 0 everything is in sync (or
was fixed by --fix), 1 differences remain or a fix failed, 2 bad arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date

from invoices.actors import Actor
from invoices.management.common import SOME_FAILED, Progress, bad_arguments, split_values
from invoices.models import Door, Reconciliation, ReconciliationItem, ReconciliationResult
from invoices.reconciliation import (
    DIFFERENCES,
    Fix,
    ReconciliationError,
    applicable_item_ids,
    differences,
    invoices_to_reconcile,
    reconcile_invoices,
    reconciliation_items_fix,
)

# On the command line the fixes are spelled with dashes.
FIX_OPTIONS = {"adopt-remote": Fix.ADOPT_REMOTE, "push-local": Fix.PUSH_LOCAL}
LISTED = 50  # differences listed at the default verbosity; -v 2 lists them all


class Command(BaseCommand):
    help = (
        "Read each matching invoice back from its provider and classify it: in sync, remote ahead, local ahead, "
        "missing remotely, conflict, or cannot be read back (modulus and the generic API have no read endpoint). "
        "With --fix, adopt the provider's status for invoices it is ahead on, or push ours again where it is "
        "behind or lacks the invoice. Exit status: 0 all in sync (or fixed), 1 differences remain or a fix "
        "failed (an invoice that cannot be read back counts as a difference), 2 bad arguments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--provider", metavar="NAME_OR_KIND", help="One provider account (by name) or provider kind, e.g. rapyd."
        )
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="Only invoices issued on or after this date.")
        parser.add_argument(
            "--ids", nargs="+", action="extend", metavar="ID", help="Only these invoice ids (spaces or commas)."
        )
        parser.add_argument(
            "--fix",
            metavar="{adopt-remote,push-local}",
            help="adopt-remote: move our invoice along the lifecycle to the provider's status where the provider "
            "is ahead (recorded in the history, door 'provider'; nothing is sent back). push-local: queue a push "
            "of our invoice where the provider is behind or has no such invoice.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fix = self._fix(options.get("fix"))
        selection = {
            "provider": options.get("provider") or None,
            "since": self._since(options.get("since")),
            "invoice_ids": self._ids(options.get("ids")),
        }
        try:
            total = invoices_to_reconcile(**selection).count()
        except ReconciliationError as exc:
            raise bad_arguments(str(exc)) from None
        actor = Actor.system("reconcile_invoices")
        progress = Progress(self, total)
        run = reconcile_invoices(**selection, actor=actor, door=Door.COMMAND, on_progress=progress.step)

        self.stdout.write(f"Reconciliation #{run.pk}: {total} invoice(s) compared.")
        for result, result_label in ReconciliationResult.choices:
            self.stdout.write(f"  {result_label}: {run.counts.get(result, 0)}")
        self._list_differences(run, options["verbosity"])

        fixed, failures = 0, []
        if fix is not None:
            for outcome in reconciliation_items_fix(item_ids=applicable_item_ids(run, fix), fix=fix, actor=actor):
                if outcome.ok:
                    fixed += 1
                    if options["verbosity"] >= 2:
                        self.stdout.write(f"{outcome.invoice_number}: {outcome.message}")
                else:
                    failures.append(f"{outcome.invoice_number}: not fixed: {outcome.message}")
            for failure in failures:
                self.stderr.write(failure)
            self.stdout.write(f"{Fix(fix).label}: {fixed} fixed, {len(failures)} refused.")

        remaining = differences(run) - fixed
        if remaining or failures:
            raise CommandError(
                f"{remaining} difference(s) left; see reconciliation #{run.pk} in the admin.", returncode=SOME_FAILED
            )
        self.stdout.write(self.style.SUCCESS("Everything is in sync."))

    # -- arguments ---------------------------------------------------------------------------------------------
    @staticmethod
    def _fix(value: str | None) -> str | None:
        if value is None:
            return None
        if value not in FIX_OPTIONS:
            raise bad_arguments(f"--fix takes {' or '.join(FIX_OPTIONS)}, got {value!r}.")
        return FIX_OPTIONS[value]

    @staticmethod
    def _since(value: str | None) -> Any:
        if not value:
            return None
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise bad_arguments(f"--since takes a date as YYYY-MM-DD, got {value!r}.")
        return day

    @staticmethod
    def _ids(values: list[str] | None) -> list[int] | None:
        raw = split_values(values)
        if not raw:
            return None
        try:
            return [int(value) for value in raw]
        except ValueError:
            raise bad_arguments(f"--ids takes invoice ids (numbers), got {' '.join(raw)}.") from None

    # -- output ------------------------------------------------------------------------------------------------
    def _list_differences(self, run: Reconciliation, verbosity: int) -> None:
        found = differences(run)
        if not found or verbosity < 1:
            return
        limit = None if verbosity >= 2 else LISTED
        rows = (
            ReconciliationItem.objects.filter(reconciliation=run, result__in=DIFFERENCES)
            .order_by("pk")
            .values_list("invoice__number", "invoice__account__name", "result", "detail")
        )
        names = dict(ReconciliationResult.choices)
        for number, account, result, detail in rows[:limit].iterator(chunk_size=500):
            self.stdout.write(f"{number} ({account}): {str(names[result]).lower()}: {detail}")
        if limit is not None and found > limit:
            self.stdout.write(f"… and {found - limit} more (-v 2 lists them all).")
