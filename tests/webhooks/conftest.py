"""Accounts and invoices the sandbox sends webhooks about, over real HTTP to the live server."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from invoices.models import Delivery, Invoice, WebhookEvent
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox import arcadier as arcadier_sandbox
from providers.sandbox import rapyd as rapyd_sandbox
from providers.sandbox.credentials import sandbox_credentials
from tests.factories import make_invoice

WEBHOOK_SECRET = "whsec-0001-correct-horse-battery"
SECRET_HEADER = "X-Webhook-Secret"


@pytest.fixture
def hook_url(live_server: Any) -> Any:
    """The webhook URL of an account, on the live server."""

    def url(account: ProviderAccount) -> str:
        return f"{live_server.url}/api/webhooks/{account.kind}/{account.pk}/"

    return url


@pytest.fixture
def rapyd_account(sandbox_account: Any) -> ProviderAccount:
    account: ProviderAccount = sandbox_account(ProviderKind.RAPYD)
    return account


@pytest.fixture
def rapyd_invoice(rapyd_account: ProviderAccount) -> Any:
    """An invoice of ours in `status`, and the same invoice as the Rapyd emulator holds it (in `remote_status`)."""

    def build(status: str = "open", remote_status: str | None = None) -> tuple[Invoice, dict[str, Any]]:
        remote = rapyd_sandbox.seed_invoice(
            status=remote_status or status,
            lines=[{"amount": Decimal("20.00"), "description": "Widget"}],
        )
        invoice = make_invoice(
            account=rapyd_account,
            status=status,
            currency="USD",
            remote_id=remote["id"],
            customer_ref=remote["customer"],
        )
        return invoice, remote

    return build


@pytest.fixture
def secret_account(sandbox_account: Any) -> Any:
    """An Arcadier or VTEX account whose hook sends WEBHOOK_SECRET in a header."""

    def build(kind: str, **overrides: Any) -> ProviderAccount:
        credentials = {**sandbox_credentials(kind), "webhook_secret": WEBHOOK_SECRET}
        account: ProviderAccount = sandbox_account(kind, credentials=credentials, **overrides)
        return account

    return build


def guid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def arcadier_invoice(secret_account: Any) -> Any:
    """An open Arcadier invoice of two orders, and its transaction in the emulator with both orders in `paid_as`."""

    def build(
        *, remote_number: str = "", number: str | None = None, paid_as: str = "Paid", **overrides: Any
    ) -> tuple[Invoice, dict[str, Any]]:
        account = secret_account(ProviderKind.ARCADIER, **overrides)
        orders = [{"order_id": guid(), "payee_ref": guid(), "payer_ref": guid()} for _ in range(2)]
        invoice = make_invoice(
            account=account, status="open", currency="SGD", remote_number=remote_number, number=number, orders=orders
        )
        transaction = arcadier_sandbox.seed_transaction(
            remote_number or invoice.number,
            orders=[
                {
                    "order_id": o["order_id"],
                    "payee_id": o["payee_ref"],
                    "payer_id": o["payer_ref"],
                    "total": "10.00",
                    "fee": "0.50",
                    "payment_status": paid_as,
                }
                for o in orders
            ],
            currency="SGD",
        )
        return invoice, transaction

    return build


def events(**filters: Any) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(**filters).order_by("pk"))


def deliveries_of(invoice: Invoice) -> int:
    return Delivery.objects.filter(invoice=invoice).count()


def refreshed(invoice: Invoice) -> Invoice:
    invoice.refresh_from_db()
    return invoice
