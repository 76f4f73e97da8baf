"""Put failed or dead deliveries back in line (same idempotency key, a fresh allowance of attempts).

    manage.py retry_deliveries --state dead --provider rapyd
    manage.py retry_deliveries --ids 41 42 --dry-run

Exit status: 0 all queued again, 1 some could not be retried, 2 bad arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet

from invoices.actors import Actor
from invoices.deliveries import deliveries_retry
from invoices.management.common import SOME_FAILED, Progress, bad_arguments, iter_ids, split_values
from invoices.models import Delivery, DeliveryState
from providers.models import ProviderAccount

RETRYABLE = (DeliveryState.FAILED, DeliveryState.DEAD)


class Command(BaseCommand):
    help = "Queue failed and dead deliveries again; they go out in order behind nothing but their own invoice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--state", nargs="+", action="extend", help="failed and/or dead (default: both).")
        parser.add_argument("--provider", nargs="+", action="extend", help="Provider account name(s) or kind(s).")
        parser.add_argument("--error-kind", nargs="+", action="extend", help="temporary, rejected, configuration.")
        parser.add_argument("--ids", nargs="+", action="extend", help="Delivery ids.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be retried; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = self._select(options)
        total = queryset.count()
        if options["dry_run"]:
            for delivery in queryset.select_related("invoice")[:500]:
                self.stdout.write(f"#{delivery.pk} {delivery.invoice.number} {delivery.state}: {delivery.last_error}")
            self.stdout.write(f"Dry run: would retry {total} deliveries. Nothing was changed.")
            return
        progress = Progress(self, total)
        actor = Actor.system("retry_deliveries")
        retried, failures = 0, []
        for delivery_id in iter_ids(queryset):
            [outcome] = deliveries_retry(delivery_ids=[delivery_id], actor=actor)
            if outcome.ok:
                retried += 1
            else:
                failures.append(outcome.message)
            progress.step()
        for failure in failures:
            self.stderr.write(failure)
        summary = f"Queued {retried} of {total} deliveries again; {len(failures)} could not be retried."
        if failures:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary))

    def _select(self, options: dict[str, Any]) -> QuerySet[Delivery]:
        states = split_values(options["state"]) or list(RETRYABLE)
        unknown = sorted(set(states) - set(RETRYABLE))
        if unknown:
            raise bad_arguments(f"Only failed and dead deliveries can be retried, not {', '.join(unknown)}.")
        queryset = Delivery.objects.filter(state__in=states).order_by("id")
        providers = split_values(options["provider"])
        if providers:
            matching = ProviderAccount.objects.filter(Q(name__in=providers) | Q(kind__in=providers))
            known = {a.name for a in matching} | {a.kind for a in matching}
            missing = sorted(set(providers) - known)
            if missing:
                raise bad_arguments(f"No provider account or kind named {', '.join(missing)}.")
            queryset = queryset.filter(account__in=matching)
        kinds = split_values(options["error_kind"])
        if kinds:
            queryset = queryset.filter(last_error_kind__in=kinds)
        raw_ids = split_values(options["ids"])
        if raw_ids:
            try:
                queryset = queryset.filter(pk__in=[int(i) for i in raw_ids])
            except ValueError:
                raise bad_arguments(f"--ids takes delivery ids (numbers), got {' '.join(raw_ids)}.") from None
        return queryset
