"""Fixtures of the v1 API tests: two provider accounts, clients issued for one of them, callers as API clients
or as staff with a role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from invoices.api_clients import IssuedCredentials
from providers.models import ProviderAccount
from tests.factories import ProviderAccountFactory, UserFactory

from .helpers import with_token

# The generic invoicing API has no status rules of its own: the lifecycle table alone decides.
KIND = "generic"


@pytest.fixture
def account_a(db: None) -> ProviderAccount:
    return ProviderAccountFactory(kind=KIND, name="account-a")


@pytest.fixture
def account_b(db: None) -> ProviderAccount:
    return ProviderAccountFactory(kind=KIND, name="account-b")


@pytest.fixture
def operator(issue_api_client: Any, account_a: ProviderAccount) -> IssuedCredentials:
    return issue_api_client(account_a, role="operator", name="erp-operator")


@pytest.fixture
def viewer(issue_api_client: Any, account_a: ProviderAccount) -> IssuedCredentials:
    return issue_api_client(account_a, role="viewer", name="bi-viewer")


@pytest.fixture
def api(operator: IssuedCredentials) -> APIClient:
    """The operator client of account A, authenticated by its token."""
    return with_token(operator.token)


@pytest.fixture
def staff(db: None) -> Callable[[str], APIClient]:
    """A logged-in staff user with the given role (session authentication; CSRF is checked in its own test)."""

    def login(role: str) -> APIClient:
        client = APIClient()
        client.force_login(UserFactory(role=role))
        return client

    return login
