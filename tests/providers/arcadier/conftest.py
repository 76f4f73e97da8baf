from __future__ import annotations

from typing import Any

import pytest

from providers.base import ProviderAdapter
from providers.models import ProviderAccount
from providers.registry import adapter_for


@pytest.fixture
def account(sandbox_account: Any) -> ProviderAccount:
    return sandbox_account("arcadier")


@pytest.fixture
def adapter(account: ProviderAccount) -> ProviderAdapter:
    return adapter_for(account)
