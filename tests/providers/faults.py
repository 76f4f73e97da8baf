"""Shared expectations for fault mapping: every adapter maps each sandbox fault to the same error class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from providers.base import ConfigurationError, ErrorKind, ProviderError, TemporaryError
from providers.sandbox.models import SandboxFault, SandboxRequest

# fault injected by the sandbox -> (error class, whether the outcome is uncertain, whether the effect was applied)
FAULT_EXPECTATIONS: dict[str, tuple[type[ProviderError], bool, bool]] = {
    "5xx": (TemporaryError, True, False),  # a 500 may follow an effect at a real provider: uncertain
    "503": (TemporaryError, False, False),
    "429": (TemporaryError, False, False),
    "drop": (TemporaryError, True, False),
    "timeout": (TemporaryError, True, True),
    "malformed": (TemporaryError, True, True),
}


def script_faults(kind: str, faults: list[str], *, timeout_s: float = 3.0, retry_after_s: int = 7) -> None:
    """Make the sandbox answer the next requests of `kind` with these faults, in order."""
    SandboxFault.objects.update_or_create(
        kind=kind, defaults={"next_faults": faults, "timeout_s": timeout_s, "retry_after_s": retry_after_s}
    )


def assert_fault_maps(kind: str, fault: str, call: Callable[[], Any]) -> ProviderError:
    """Script one fault, run the adapter call, and check the error class, the uncertainty and Retry-After."""
    expected_class, uncertain, _applied = FAULT_EXPECTATIONS[fault]
    script_faults(kind, [fault])
    with pytest.raises(ProviderError) as excinfo:
        call()
    error = excinfo.value
    assert type(error) is expected_class, f"{fault} mapped to {type(error).__name__}"
    assert error.kind == ErrorKind.TEMPORARY
    assert error.uncertain is uncertain, f"{fault}: uncertain={error.uncertain}"
    assert error.exchanges, "the failed exchange is recorded"
    if fault == "429":
        assert error.retry_after == 7
    return error


def assert_bad_credentials_are_configuration_errors(call: Callable[[], Any]) -> None:
    with pytest.raises(ConfigurationError):
        call()


def effects(kind: str) -> list[str]:
    rows = SandboxRequest.objects.filter(kind=kind).exclude(effect="").order_by("id")
    return list(rows.values_list("effect", flat=True))
