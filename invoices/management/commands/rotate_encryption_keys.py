"""Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from backoffice import crypto
from invoices.models import ApiClient
from providers.models import ProviderAccount

M = TypeVar("M", bound=models.Model)


class Command(BaseCommand):
    help = (
        "Re-encrypt every provider account's credentials and every API client's secret key under the "
        "first key of FIELD_ENCRYPTION_KEYS. Rotation: prepend a new key, run this, then drop the old "
        "key. Exits 1 if any value could not be decrypted with the configured keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=200, help="Rows re-encrypted per transaction (default 200)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only check that every value decrypts; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        dry_run: bool = options["dry_run"]
        failures: list[str] = []

        def rotate_account(account: ProviderAccount) -> None:
            account.rotate_encryption()
            if not dry_run:
                account.save(update_fields=["credentials_encrypted"])

        def rotate_client(client: ApiClient) -> None:
            client.secret_key_encrypted = crypto.rotate(client.secret_key_encrypted)
            if not dry_run:
                client.save(update_fields=["secret_key_encrypted"])

        accounts = self._rotate_all(
            ProviderAccount.objects.exclude(credentials_encrypted=""),
            rotate_account,
            lambda a: f"provider account #{a.pk} {a.name!r}",
            batch_size,
            failures,
        )
        clients = self._rotate_all(
            ApiClient.objects.exclude(secret_key_encrypted=""),
            rotate_client,
            lambda c: f"API client #{c.pk} {c.name!r}",
            batch_size,
            failures,
        )

        for failure in failures:
            self.stderr.write(f"cannot decrypt: {failure}")
        verb = "Checked" if dry_run else "Re-encrypted"
        summary = (
            f"{verb} {accounts} provider account credential set(s) and {clients} API client secret(s)"
            f"{'' if dry_run else ' under the primary key'}; {len(failures)} could not be decrypted."
        )
        if failures:
            self.stdout.write(summary)
            raise CommandError(
                "Some values cannot be decrypted with FIELD_ENCRYPTION_KEYS: add the key they were encrypted "
                "with (anywhere in the list) and run this again.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _rotate_all(
        queryset: models.QuerySet[M],
        rotate: Callable[[M], None],
        describe: Callable[[M], str],
        batch_size: int,
        failures: list[str],
    ) -> int:
        done = 0
        last_pk: Any = None
        while True:
            with transaction.atomic():
                batch = queryset.order_by("pk").select_for_update()
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                rows = list(batch[:batch_size])
                for row in rows:
                    try:
                        rotate(row)
                    except crypto.DecryptionError:
                        failures.append(describe(row))
                    else:
                        done += 1
            if len(rows) < batch_size:
                return done
            last_pk = rows[-1].pk
