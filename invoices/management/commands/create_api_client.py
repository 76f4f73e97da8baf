"""Issue credentials to a new API client and print them once."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from invoices.api_clients import api_client_create
from invoices.models import ApiClientRole
from providers.models import ProviderAccount


def resolve_account(value: str) -> ProviderAccount:
    """An account by exact name, or by id when the value is a number that names no account."""
    account = ProviderAccount.objects.filter(name=value).first()
    if account is None and value.isdigit():
        account = ProviderAccount.objects.filter(pk=int(value)).first()
    if account is None:
        raise CommandError(f"No provider account named or numbered {value!r}.")
    return account


class Command(BaseCommand):
    help = (
        "Create an API client and print its credentials (bearer token, app key/token, access/secret key) "
        "once: only hashes or encrypted values are stored, so they cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A unique name for the client, e.g. the integrating system.")
        parser.add_argument(
            "--account",
            action="append",
            default=[],
            metavar="NAME_OR_ID",
            help="A provider account the client may act on (repeat for several).",
        )
        parser.add_argument(
            "--role",
            choices=ApiClientRole.values,
            default=ApiClientRole.OPERATOR,
            help="viewer reads only; operator may also change statuses, push and send emails (default).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = [resolve_account(value) for value in options["account"]]
        try:
            issued = api_client_create(name=options["name"], account_ids=[a.pk for a in accounts], role=options["role"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

        if options["json"]:
            self.stdout.write(json.dumps(issued.as_dict()))
            return
        client = issued.client
        names = ", ".join(a.name for a in accounts) or "none yet"
        rows = [
            ("token", issued.token, "Authorization: Bearer <token>"),
            ("app_key", issued.app_key, "X-VTEX-API-AppKey"),
            ("app_token", issued.app_token, "X-VTEX-API-AppToken"),
            ("access_key", issued.access_key, "access_key header of signed requests"),
            ("secret_key", issued.secret_key, "signs requests (HMAC-SHA256); never sent"),
        ]
        self.stdout.write("Store these now: they are shown this once and cannot be recovered.")
        for label, value, use in rows:
            self.stdout.write(f"  {label:<11} {value}    ({use})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created API client {client.name!r} (id {client.pk}, role {client.role}, accounts: {names})."
            )
        )
