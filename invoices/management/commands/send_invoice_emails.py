"""Queue one invoice email per matching invoice (to its customer), through the same service as the admin.

    manage.py send_invoice_emails --status open --provider acme-rapyd
    manage.py send_invoice_emails --ids 12 13 14 --dry-run

Exit status: 0 all queued, 1 some could not be queued, 2 bad arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet

from invoices.actors import Actor
from invoices.emails import invoice_email_request
from invoices.lifecycle import InvoiceStatus
from invoices.models import Door, Invoice
from providers.models import ProviderAccount

BAD_ARGUMENTS = 2
SOME_FAILED = 1
PROGRESS_FROM = 20  # below this many invoices a progress bar is noise
BAR_WIDTH = 30


def _plain(text: str) -> str:
    return text  # the stderr wrapper paints everything red; a progress bar is not an error


def _bad(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_ARGUMENTS)


def _split(values: list[str] | None) -> list[str]:
    # Accept "--status open paid", "--status open,paid" and "--status open --status paid" alike.
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


class Command(BaseCommand):
    help = "Queue invoice emails (with the PDF attached) for the invoices matching the filters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status", nargs="+", action="extend", help="Invoice status(es), e.g. open paid."
        )
        parser.add_argument(
            "--provider", nargs="+", action="extend", help="Provider account name(s) or kind(s), e.g. rapyd."
        )
        parser.add_argument("--ids", nargs="+", action="extend", help="Invoice ids.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be queued; queue nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        invoices = self._select(options)
        total = len(invoices)
        if options["dry_run"]:
            self._dry_run(invoices)
            return
        actor = Actor.system("command")
        queued, failures = 0, []
        for done, invoice in enumerate(invoices, start=1):
            try:
                email = invoice_email_request(invoice_id=invoice.pk, actor=actor, door=Door.COMMAND)
            except ValidationError as exc:
                failures.append(f"{invoice.number}: {' '.join(exc.messages)}")
            else:
                queued += 1
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{invoice.number}: email #{email.pk} queued to {email.to}")
            self._progress(done, total)
        for failure in failures:
            self.stderr.write(failure)
        summary = f"Queued {queued} of {total} invoice email(s); {len(failures)} could not be queued."
        if failures:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary))

    def _select(self, options: dict[str, Any]) -> list[Invoice]:
        statuses, providers = _split(options["status"]), _split(options["provider"])
        raw_ids = _split(options["ids"])
        if not (statuses or providers or raw_ids):
            raise _bad("Give --status, --provider or --ids: emailing every invoice is never a default.")
        queryset: QuerySet[Invoice] = Invoice.objects.order_by("id")
        if statuses:
            unknown = sorted(set(statuses) - set(InvoiceStatus.values))
            if unknown:
                raise _bad(
                    f"Unknown status {', '.join(unknown)}; use one of {', '.join(InvoiceStatus.values)}."
                )
            queryset = queryset.filter(status__in=statuses)
        if providers:
            matching = ProviderAccount.objects.filter(Q(name__in=providers) | Q(kind__in=providers))
            known = {a.name for a in matching} | {a.kind for a in matching}
            unknown = sorted(set(providers) - known)
            if unknown:
                raise _bad(f"No provider account or kind named {', '.join(unknown)}.")
            queryset = queryset.filter(account__in=matching)
        if raw_ids:
            try:
                ids = [int(i) for i in raw_ids]
            except ValueError:
                raise _bad(f"--ids takes invoice ids (numbers), got {' '.join(raw_ids)}.") from None
            found = set(Invoice.objects.filter(pk__in=ids).values_list("pk", flat=True))
            missing = sorted(set(ids) - found)
            if missing:
                raise _bad(f"No invoice with id {', '.join(map(str, missing))}.")
            queryset = queryset.filter(pk__in=ids)
        return list(queryset.only("pk", "number", "customer_email"))

    def _dry_run(self, invoices: list[Invoice]) -> None:
        without = [i for i in invoices if not i.customer_email]
        for invoice in invoices:
            target = invoice.customer_email or "(no customer email: would be refused)"
            self.stdout.write(f"{invoice.number}: {target}")
        self.stdout.write(
            f"Dry run: would queue {len(invoices) - len(without)} of {len(invoices)} invoice email(s); "
            f"{len(without)} without a customer email. Nothing was queued."
        )

    def _progress(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        interactive = self.stderr.isatty()
        step = max(total // 10, 1)
        # On a terminal the bar redraws in place; in a log file one line per tenth is enough.
        if not interactive and done % step and done != total:
            return
        filled = BAR_WIDTH * done // total
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        ending = ("\n" if done == total else "") if interactive else "\n"
        self.stderr.write(f"\r{bar}" if interactive else bar, style_func=_plain, ending=ending)
        self.stderr.flush()
