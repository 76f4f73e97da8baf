"""Queue one invoice email per matching invoice (to its customer), through the same service as the admin.

    manage.py send_invoice_emails --status open --provider acme-rapyd
    manage.py send_invoice_emails --ids 12 13 14 --dry-run

Exit status: 0 all queued, 1 some could not be queued, 2 bad arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from invoices.actors import Actor
from invoices.emails import invoice_email_request
from invoices.management.common import SOME_FAILED, Progress, add_invoice_filters, select_invoices
from invoices.models import Door, Invoice


class Command(BaseCommand):
    help = "Queue invoice emails (with the PDF attached) for the invoices matching the filters."

    def add_arguments(self, parser: CommandParser) -> None:
        add_invoice_filters(parser)
        parser.add_argument("--dry-run", action="store_true", help="List what would be queued; queue nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        invoices = select_invoices(options).only("pk", "number", "customer_email")
        if options["dry_run"]:
            self._dry_run(list(invoices))
            return
        total = invoices.count()
        progress = Progress(self, total)
        actor = Actor.system("command")
        queued, failures = 0, []
        for invoice in invoices.iterator(chunk_size=2000):
            try:
                email = invoice_email_request(invoice_id=invoice.pk, actor=actor, door=Door.COMMAND)
            except ValidationError as exc:
                failures.append(f"{invoice.number}: {' '.join(exc.messages)}")
            else:
                queued += 1
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{invoice.number}: email #{email.pk} queued to {email.to}")
            progress.step()
        for failure in failures:
            self.stderr.write(failure)
        summary = f"Queued {queued} of {total} invoice email(s); {len(failures)} could not be queued."
        if failures:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary))

    def _dry_run(self, invoices: list[Invoice]) -> None:
        without = [i for i in invoices if not i.customer_email]
        for invoice in invoices:
            target = invoice.customer_email or "(no customer email: would be refused)"
            self.stdout.write(f"{invoice.number}: {target}")
        self.stdout.write(
            f"Dry run: would queue {len(invoices) - len(without)} of {len(invoices)} invoice email(s); "
            f"{len(without)} without a customer email. Nothing was queued."
        )
