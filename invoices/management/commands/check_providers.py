"""Test the connection to every enabled provider account: one line per account, never a secret."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.connection import connection_check
from providers.models import ProviderAccount


class Command(BaseCommand):
    help = (
        "Test the connection to each enabled provider account (authenticate, or make the cheapest "
        "authenticated call). Exits 0 when all succeed, 1 when any fails, 2 for an unknown account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", metavar="NAME", help="Check only this account (also when it is disabled).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["account"]:
            accounts = list(ProviderAccount.objects.filter(name=options["account"]))
            if not accounts:
                raise CommandError(f"No provider account named {options['account']!r}.", returncode=2)
        else:
            accounts = list(ProviderAccount.objects.filter(enabled=True).order_by("name"))
        if not accounts:
            self.stdout.write("No enabled provider accounts to check.")
            return

        failed = 0
        for account in accounts:
            ok, detail = connection_check(account)
            label = f"{account.name} ({account.kind}, {account.base_url})"
            if ok:
                self.stdout.write(f"{self.style.SUCCESS('ok')}     {label}: {detail}")
            else:
                failed += 1
                self.stdout.write(f"{self.style.ERROR('error')}  {label}: {detail}")

        total = len(accounts)
        summary = f"{total - failed} of {total} provider account(s) reachable, {failed} failed."
        if failed:
            self.stdout.write(summary)
            raise CommandError(f"{failed} provider account(s) failed the connection test.", returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))
