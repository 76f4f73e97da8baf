"""factory_boy factories. Invoices are built through the services so that totals and history are real."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from invoices.actors import Actor
from invoices.models import Door, Invoice, StatusChange
from invoices.services import invoice_create
from providers.kinds import ProviderKind
from providers.models import ProviderAccount

DEFAULT_CREDENTIALS: dict[str, dict[str, str]] = {
    ProviderKind.ARCADIER: {"client_id": "arc-client-id-0001", "client_secret": "arc-client-secret-0001"},
    ProviderKind.MODULUS: {"app": "mod-app-0001", "secret": "mod-secret-0001-xyz"},
    ProviderKind.GENERIC: {"token": "gen-token-0001-abcdef", "api_key": "gen-apikey-0001-abcdef"},
    ProviderKind.VTEX: {"app_key": "vtexappkey-test-ABCDEF", "app_token": "VTEXAPPTOKEN0001XYZ"},
    ProviderKind.RAPYD: {"access_key": "rak_TEST0001ACCESS", "secret_key": "rsk_test0001secretkeyvalue"},
}


class ProviderAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderAccount
        skip_postgeneration_save = True

    kind = ProviderKind.RAPYD
    name = factory.Sequence(lambda n: f"account-{n}")
    base_url = factory.LazyAttribute(lambda o: f"http://127.0.0.1:9/sandbox/{o.kind}")
    enabled = True

    @factory.post_generation
    def credentials(obj: ProviderAccount, create: bool, extracted: dict[str, str] | None, **kwargs: Any) -> None:
        values = extracted if extracted is not None else DEFAULT_CREDENTIALS[obj.kind]
        obj.set_credentials(values)
        if create:
            obj.save()


def make_invoice(
    *,
    account: ProviderAccount | None = None,
    status: str = "draft",
    currency: str = "EUR",
    lines: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
    number: str | None = None,
    **fields: Any,
) -> Invoice:
    """An invoice created through the service (so totals and the creation history row are real), then moved to
    `status` directly: a fixture shortcut for states the test does not exercise."""
    account = account or ProviderAccountFactory()
    make_invoice.counter += 1  # type: ignore[attr-defined]
    invoice = invoice_create(
        account=account,
        number=number or f"INV-{make_invoice.counter:06d}",  # type: ignore[attr-defined]
        customer_name=fields.pop("customer_name", "Ada Lovelace"),
        customer_email=fields.pop("customer_email", "ada@example.com"),
        currency=currency,
        issue_date=fields.pop("issue_date", dt.date(2026, 11, 1)),
        due_date=fields.pop("due_date", dt.date(2026, 12, 1)),
        lines=lines
        if lines is not None
        else [{"sku": "SKU-1", "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10.00")}],
        orders=orders or [],
        actor=Actor.system("fixtures"),
        door=Door.COMMAND,
        **fields,
    )
    if status != "draft":
        Invoice.objects.filter(pk=invoice.pk).update(status=status)
        invoice.refresh_from_db()
    return invoice


make_invoice.counter = 0  # type: ignore[attr-defined]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True

    @factory.post_generation
    def password(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or "correct-horse-battery-staple")
        if create:
            obj.save()

    @factory.post_generation
    def role(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if extracted and create:
            obj.groups.add(Group.objects.get(name=extracted))


def history_of(invoice: Invoice) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(invoice=invoice).order_by("at", "id").values_list("from_status", "to_status")
    )
