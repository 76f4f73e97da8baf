from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox.credentials import sandbox_credentials
from tests.factories import ProviderAccountFactory


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Provider tokens are cached; each test starts without any.
    cache.clear()


@pytest.fixture
def sandbox_url(live_server: Any) -> str:
    """Root of the sandbox served over real HTTP on loopback (the whole app runs in a live server thread)."""
    return f"{live_server.url}/sandbox"


@pytest.fixture
def sandbox_account(sandbox_url: str, transactional_db: None) -> Any:
    """Build a provider account pointing at the sandbox, with the credentials the sandbox accepts."""

    def build(kind: str, **overrides: Any) -> ProviderAccount:
        credentials = overrides.pop("credentials", sandbox_credentials(kind))
        return ProviderAccountFactory(
            kind=kind,
            base_url=f"{sandbox_url}/{kind}",
            credentials=credentials,
            connect_timeout=overrides.pop("connect_timeout", 2),
            read_timeout=overrides.pop("read_timeout", 5),
            **overrides,
        )

    return build


ALL_KINDS = list(ProviderKind.values)


@pytest.fixture
def issue_api_client(db: None) -> Any:
    """Issue API client credentials (as `manage.py create_api_client` does) for some accounts."""
    from invoices.api_clients import api_client_create

    counter = {"n": 0}

    def issue(*accounts: ProviderAccount, role: str = "operator", name: str | None = None) -> Any:
        counter["n"] += 1
        return api_client_create(name=name or f"client-{counter['n']}", account_ids=[a.pk for a in accounts], role=role)

    return issue
