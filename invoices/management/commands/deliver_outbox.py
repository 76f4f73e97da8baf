"""Deliver what is due in the outbox, in this process (no Celery needed): once, or in a loop.

    manage.py deliver_outbox            # one pass over everything due
    manage.py deliver_outbox --loop     # keep relaying every --interval seconds until interrupted

Exit status: 0 nothing left stopped in this pass, 1 some deliveries failed or went dead in this pass.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from invoices import relay
from invoices.management.common import SOME_FAILED
from invoices.models import Delivery, DeliveryState


class Command(BaseCommand):
    help = "Deliver due outbox rows to the providers in this process, once or in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep relaying until interrupted (Ctrl-C).")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes with --loop.")
        parser.add_argument("--batch", type=int, default=None, help="Deliveries claimed per round.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0 or (options["batch"] is not None and options["batch"] < 1):
            raise CommandError("--interval and --batch must be positive.", returncode=2)
        worker = f"command:{socket.gethostname()}:{os.getpid()}"
        if not options["loop"]:
            self._pass(worker, options["batch"], final=True)
            return
        self.stdout.write(f"Relaying every {options['interval']}s; Ctrl-C to stop.")
        try:
            while True:
                self._pass(worker, options["batch"], final=False)
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _pass(self, worker: str, batch: int | None, *, final: bool) -> None:
        before = self._stopped()
        started = time.monotonic()
        delivered = relay.relay(worker=worker, limit=batch, budget_seconds=3600)
        stopped = self._stopped() - before
        counts = dict(
            Delivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING])
            .values("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        summary = (
            f"Attempted {delivered} deliveries in {time.monotonic() - started:.1f}s; "
            f"{stopped} newly failed or dead; {counts.get(DeliveryState.PENDING, 0)} pending "
            f"(waiting to retry or queued behind another), {counts.get(DeliveryState.SENDING, 0)} in flight."
        )
        if final and stopped:
            raise CommandError(summary, returncode=SOME_FAILED)
        self.stdout.write(self.style.SUCCESS(summary) if not stopped else summary)

    @staticmethod
    def _stopped() -> int:
        return Delivery.objects.filter(state__in=[DeliveryState.FAILED, DeliveryState.DEAD]).count()
