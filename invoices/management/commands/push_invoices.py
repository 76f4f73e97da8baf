"""Queue a push of each matching invoice, as it stands, to its provider (the relay delivers them).

    manage.py push_invoices --provider rapyd --status open
    manage.py push_invoices --sync-state failed --dry-run -v 2

Exit status: 0 all queued (or previewed), 1 some invoices could not be pushed, 2 bad arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from invoices.actors import Actor
from invoices.deliveries import invoice_push_check, invoices_push
from invoices.management.common import SOME_FAILED, Progress, add_invoice_filters, iter_ids, select_invoices
from invoices.models import Invoice


class Command(BaseCommand):
    help = "Queue a push of the matching invoices to their providers; --dry-run shows the exact requests instead."

    def add_arguments(self, parser: CommandParser) -> None:
        add_invoice_filters(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be sent (secrets masked); queue nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = select_invoices(options)
        total = queryset.count()
        progress = Progress(self, total)
        numbers = dict(queryset.values_list("pk", "number")) if total <= 1000 else {}
        actor = Actor.system("push_invoices")
        done, failures = 0, []
        for invoice_id in iter_ids(queryset):
            number = numbers.get(invoice_id) or Invoice.objects.values_list("number", flat=True).get(pk=invoice_id)
            if options["dry_run"]:
                ok, message = self._preview(invoice_id, options["verbosity"])
            else:
                [outcome] = invoices_push(invoice_ids=[invoice_id], actor=actor)
                ok, message = outcome.ok, outcome.message
            if ok:
                done += 1
                if options["verbosity"] >= 2 or options["dry_run"]:
                    self.stdout.write(f"{number}: {message}")
            else:
                failures.append(f"{number}: {message}")
            progress.step()
        for failure in failures:
            self.stderr.write(failure)
        verb = "Would push" if options["dry_run"] else "Queued pushes for"
        summary = f"{verb} {done} of {total} invoice(s); {len(failures)} could not be pushed."
        if failures:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary))

    def _preview(self, invoice_id: int, verbosity: int) -> tuple[bool, str]:
        check = invoice_push_check(invoice_id=invoice_id)
        if not check.ok:
            return False, check.refusal
        lines = []
        for request in check.requests:
            lines.append(f"{request.method} {request.url}")
            if verbosity >= 2:
                lines.extend(f"    {name}: {value}" for name, value in request.headers.items())
                lines.append(f"    {request.body}")
        return True, "\n  ".join(lines)
