"""Serve the app, and so the provider sandbox under /sandbox/<kind>/, printing one JSON line of its facts."""

from __future__ import annotations

import json
import signal
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from providers.kinds import ProviderKind
from providers.sandbox.credentials import sandbox_credentials, sandbox_identity


def sandbox_description(root: str) -> dict[str, dict[str, Any]]:
    """Per kind: the base URL an account uses, the credentials the sandbox accepts, the ids it hands out."""
    return {
        kind: {
            "base_url": f"{root}/sandbox/{kind}",
            "credentials": sandbox_credentials(kind),
            "identity": sandbox_identity(kind),
        }
        for kind in ProviderKind.values
    }


class Command(BaseCommand):
    help = (
        "Serve the provider sandbox (the whole app, threaded) and print one JSON line with, per provider, "
        "its base URL, the credentials it accepts and the ids it hands out. --port 0 picks a free port."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8001, help="Port to listen on (0: any free port).")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        host: str = options["host"]
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, not {port}.")
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is switched off (SANDBOX_ENABLED=false).")
        self._require_migrated()

        ipv6 = ":" in host
        try:
            server = ThreadedWSGIServer((host.strip("[]"), port), WSGIRequestHandler, ipv6=ipv6)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        server.set_app(get_internal_wsgi_application())
        real_port = server.server_address[1]
        shown_host = f"[{host.strip('[]')}]" if ipv6 else host
        if host in ("0.0.0.0", ""):  # noqa: S104 - compared, not bound: a client reaches "any" on loopback
            shown_host = "127.0.0.1"
        sys.stdout.write(json.dumps(sandbox_description(f"http://{shown_host}:{real_port}")) + "\n")
        sys.stdout.flush()

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    @staticmethod
    def _require_migrated() -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `manage.py migrate` first.")
