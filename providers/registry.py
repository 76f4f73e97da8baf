"""Adapters by provider kind. Each provider package registers its adapter class on import."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .kinds import ProviderKind

if TYPE_CHECKING:
    from .base import AccountConfig, ProviderAdapter
    from .models import ProviderAccount

_ADAPTERS: dict[str, type[ProviderAdapter]] = {}


def register(cls: type[ProviderAdapter]) -> type[ProviderAdapter]:
    _ADAPTERS[cls.kind] = cls
    return cls


def adapter_class(kind: str) -> type[ProviderAdapter]:
    if kind not in _ADAPTERS:
        if kind not in ProviderKind.values:
            raise KeyError(f"unknown provider kind {kind!r}")
        import_module(f"providers.{kind}.adapter")
    return _ADAPTERS[kind]


def account_config(account: ProviderAccount) -> AccountConfig:
    from .base import AccountConfig

    return AccountConfig(
        id=account.pk,
        kind=account.kind,
        name=account.name,
        base_url=account.base_url.rstrip("/"),
        credentials=account.get_credentials(),
        settings=account.effective_settings(),
        connect_timeout=float(account.connect_timeout),
        read_timeout=float(account.read_timeout),
    )


def adapter_for(account: ProviderAccount) -> ProviderAdapter:
    return adapter_class(account.kind)(account_config(account))
