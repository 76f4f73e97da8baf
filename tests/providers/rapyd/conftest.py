from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from invoices.models import Invoice
from invoices.selectors import invoice_data
from providers.base import InvoiceData
from providers.models import ProviderAccount
from providers.rapyd.adapter import RapydAdapter
from providers.registry import adapter_for
from providers.sandbox.credentials import sandbox_credentials
from tests.factories import make_invoice

from .helpers import CUSTOMER, independent_signature


@pytest.fixture
def rapyd_account(sandbox_account: Callable[..., ProviderAccount]) -> ProviderAccount:
    return sandbox_account("rapyd")


@pytest.fixture
def adapter(rapyd_account: ProviderAccount) -> RapydAdapter:
    built = adapter_for(rapyd_account)
    assert isinstance(built, RapydAdapter)
    return built


@pytest.fixture
def rapyd_invoice(rapyd_account: ProviderAccount) -> Callable[..., InvoiceData]:
    """An invoice of the Rapyd account, as adapters see it."""

    def build(**fields: Any) -> InvoiceData:
        fields.setdefault("customer_ref", CUSTOMER)
        fields.setdefault("currency", "USD")
        invoice: Invoice = make_invoice(account=rapyd_account, **fields)
        return invoice_data(invoice)

    return build


@pytest.fixture
def raw(sandbox_url: str) -> Callable[..., requests.Response]:
    """Send a request to the Rapyd sandbox with requests, signed the documented way (not by our module)."""

    def send(
        method: str,
        url_path: str,
        body: str = "",
        *,
        credentials: dict[str, str] | None = None,
        salt: str | None = None,
        timestamp: int | None = None,
        sign_body: str | None = None,
        sign_path: str | None = None,
        headers: dict[str, str | None] | None = None,
    ) -> requests.Response:
        creds = credentials or sandbox_credentials("rapyd")
        salt = salt or secrets.token_hex(6)
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = independent_signature(
            method,
            url_path if sign_path is None else sign_path,
            salt,
            stamp,
            creds["access_key"],
            creds["secret_key"],
            body if sign_body is None else sign_body,
        )
        sent: dict[str, str | None] = {
            "access_key": creds["access_key"],
            "salt": salt,
            "timestamp": stamp,
            "signature": signature,
            "Content-Type": "application/json",
            **(headers or {}),
        }
        return requests.request(
            method, f"{sandbox_url}/rapyd{url_path}", data=body.encode("utf-8"), headers=sent, timeout=5
        )

    return send
