from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from providers.models import ProviderAccount
from providers.sandbox.credentials import sandbox_credentials
from providers.sandbox.models import SandboxRequest

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
# The ids of a modulus account's own setup that creating an invoice needs.
ACCOUNT_SETTINGS = {"branch_code": "HQ", "book_id": 3, "payment_term_id": 2, "unit_id": 1}


def seed_example(number: int) -> dict[str, Any]:
    return json.loads((SEEDS / f"modulus_update_example_{number}.json").read_text())


def invoice_effects() -> list[str]:
    """State changes to invoices the sandbox applied, in order (token issues left out)."""
    rows = SandboxRequest.objects.filter(kind="modulus", effect__startswith="invoice").order_by("id")
    return list(rows.values_list("effect", flat=True))


def calls() -> list[tuple[str, str, int | None]]:
    """What the sandbox received, in order: method, path without query, status."""
    rows = SandboxRequest.objects.filter(kind="modulus").order_by("id")
    return [(r.method, r.path.split("?")[0].split("/sandbox/modulus")[-1], r.status_code) for r in rows]


def raw_token(sandbox_url: str) -> str:
    """A token obtained the way the documentation shows, without the adapter."""
    response = requests.post(
        f"{sandbox_url}/modulus/api/cmn/Authenticate", data=sandbox_credentials("modulus"), timeout=5
    )
    assert response.status_code == 200
    return str(response.json()["object"]["token"])


def raw_invoice_call(sandbox_url: str, method: str, body: Any, token: str) -> requests.Response:
    return requests.request(
        method,
        f"{sandbox_url}/modulus/api/inv/v1/Invoice",
        params={"token": token},
        data=json.dumps(body) if not isinstance(body, str | bytes) else body,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )


@pytest.fixture
def modulus_account(sandbox_account: Any) -> Any:
    """Build a modulus account on the sandbox, set up to create invoices."""

    def build(**overrides: Any) -> ProviderAccount:
        overrides.setdefault("settings", dict(ACCOUNT_SETTINGS))
        return sandbox_account("modulus", **overrides)

    return build
