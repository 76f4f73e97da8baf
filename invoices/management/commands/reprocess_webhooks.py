"""Apply failed or skipped webhook events again, from the body the provider sent (e.g. once the invoice exists).

    manage.py reprocess_webhooks                          # every failed and skipped event
    manage.py reprocess_webhooks --state failed --kind rapyd
    manage.py reprocess_webhooks --ids 41 42 --dry-run

An event already applied under another delivery is recorded as a duplicate; one older than what its invoice
reflects changes nothing. Exit status: 0 none ended failed, 1 some still fail (each named on stderr), 2 bad
arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone

from invoices.management.common import SOME_FAILED, Progress, bad_arguments, iter_ids, split_values
from invoices.models import WebhookEvent, WebhookState
from invoices.webhooks.kinds import WEBHOOK_KINDS
from invoices.webhooks.processing import REPROCESSABLE, STALLED_AFTER, webhooks_reprocess

REQUESTED_BY = "reprocess_webhooks"


class Command(BaseCommand):
    help = "Apply failed and skipped webhook events again; duplicates and older events still change nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--state", nargs="+", action="extend", help="failed and/or skipped (default: both).")
        parser.add_argument("--kind", nargs="+", action="extend", help=f"Provider kind(s): {', '.join(WEBHOOK_KINDS)}.")
        parser.add_argument("--ids", nargs="+", action="extend", help="Webhook event ids.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be reprocessed; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = self._select(options)
        total = queryset.count()
        if options["dry_run"]:
            for event in queryset.select_related("account")[:500]:
                self.stdout.write(
                    f"#{event.pk} {event.kind} {event.event_type} {event.event_id} {event.state}: {event.outcome}"
                )
            self.stdout.write(f"Dry run: would reprocess {total} webhook events. Nothing was changed.")
            return
        progress = Progress(self, total)
        counts: dict[str, int] = dict.fromkeys((WebhookState.PROCESSED, WebhookState.SKIPPED, WebhookState.FAILED), 0)
        failures = []
        for event_id in iter_ids(queryset):
            [outcome] = webhooks_reprocess(event_ids=[event_id], requested_by=REQUESTED_BY)
            if outcome.ok and outcome.state in counts:
                counts[outcome.state] += 1
            if not outcome.ok or outcome.state == WebhookState.FAILED:
                failures.append(outcome.message)
            progress.step()
        for failure in failures:
            self.stderr.write(failure)
        summary = (
            f"Reprocessed {total} webhook events: {counts[WebhookState.PROCESSED]} processed, "
            f"{counts[WebhookState.SKIPPED]} skipped, {len(failures)} failed."
        )
        if failures:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary))

    def _select(self, options: dict[str, Any]) -> QuerySet[WebhookEvent]:
        states = split_values(options["state"]) or list(REPROCESSABLE)
        unknown = sorted(set(states) - set(REPROCESSABLE))
        if unknown:
            raise bad_arguments(
                f"Only failed, skipped and stalled received events can be reprocessed, not {', '.join(unknown)}."
            )
        # A received event is taken up only once it has stalled (see STALLED_AFTER).
        fresh = Q(state=WebhookState.RECEIVED, received_at__gt=timezone.now() - STALLED_AFTER)
        queryset = WebhookEvent.objects.filter(valid=True, state__in=states).exclude(fresh).order_by("id")
        kinds = split_values(options["kind"])
        if kinds:
            unknown = sorted(set(kinds) - set(WEBHOOK_KINDS))
            if unknown:
                raise bad_arguments(f"No webhooks from {', '.join(unknown)}; use {', '.join(WEBHOOK_KINDS)}.")
            queryset = queryset.filter(kind__in=kinds)
        raw_ids = split_values(options["ids"])
        if raw_ids:
            try:
                queryset = queryset.filter(pk__in=[int(i) for i in raw_ids])
            except ValueError:
                raise bad_arguments(f"--ids takes webhook event ids (numbers), got {' '.join(raw_ids)}.") from None
        return queryset
