"""Deliveries through a real Celery worker and a real broker (the embedded filesystem broker by default; Redis when
CELERY_BROKER_URL points at it, as the PostgreSQL run of .ci/run does), against the sandbox over HTTP."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from invoices.actors import Actor
from invoices.models import Delivery, DeliveryState, Door, Invoice, SyncState
from invoices.services import invoice_transition
from providers.sandbox.generic import seed_invoice
from providers.sandbox.models import SandboxFault, SandboxRequest
from tests.factories import make_invoice
from tests.providers.faults import effects

from .workers import celery_worker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def seeded_invoices(account: Any, count: int) -> list[Invoice]:
    invoices = []
    for _ in range(count):
        remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
        seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
        invoices.append(
            make_invoice(
                account=account,
                currency="USD",
                remote_id=remote_id,
                customer_ref=customer,
                receiving_account_ref=receiver,
                lines=[{"sku": str(uuid.uuid4()), "quantity": Decimal("1"), "unit_price": Decimal("12.50")}],
            )
        )
    return invoices


def open_all(invoices: list[Invoice]) -> None:
    for invoice in invoices:
        invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.system("test"), door=Door.COMMAND)


def delivery_states() -> str:
    rows = Delivery.objects.values_list("state", "attempts", "last_error")
    return str(Counter(rows).most_common(8))


def delivered() -> int:
    return Delivery.objects.filter(state=DeliveryState.SUCCEEDED).count()


def assert_each_effect_applied_once(invoices: list[Invoice]) -> None:
    applied = Counter(e.split(" ")[1] for e in effects("generic"))
    assert {i.remote_id for i in invoices} == set(applied)
    assert set(applied.values()) == {1}


@override_settings(DELIVERY_KICK_ON_COMMIT=True)
def test_a_worker_killed_mid_delivery_and_restarted_completes_every_delivery_once(
    sandbox_account: Any, tmp_path: Path
) -> None:
    # given deliveries that take a while at the provider
    account = sandbox_account("generic")
    SandboxFault.objects.update_or_create(kind="generic", defaults={"latency_ms": 300})
    invoices = seeded_invoices(account, 24)

    with celery_worker(tmp_path, name="first") as kill:
        open_all(invoices)
        # when the worker is killed while deliveries are in flight
        wait_until(
            lambda: delivered() >= 4 and Delivery.objects.filter(state=DeliveryState.SENDING).exists(),
            timeout=60,
            interval=0.05,
            what="deliveries in flight",
            report=delivery_states,
        )
        kill()
    in_flight_at_kill = Delivery.objects.filter(state=DeliveryState.SENDING).count()
    assert delivered() < len(invoices)

    # then a restarted worker completes them all
    with celery_worker(tmp_path, name="second"):
        wait_until(lambda: delivered() == len(invoices), timeout=120, what="every delivery", report=delivery_states)

    assert in_flight_at_kill >= 1
    assert Delivery.objects.exclude(state=DeliveryState.SUCCEEDED).count() == 0
    assert_each_effect_applied_once(invoices)
    assert set(Invoice.objects.values_list("sync_state", flat=True)) == {SyncState.SYNCED}


@override_settings(DELIVERY_KICK_ON_COMMIT=True)
def test_a_push_while_the_provider_is_down_is_delivered_in_full_once_it_is_back(
    sandbox_account: Any, tmp_path: Path
) -> None:
    # given 1 000 invoices, the provider down for the first half of the push
    account = sandbox_account("generic")
    invoices = seeded_invoices(account, 1000)
    SandboxFault.objects.update_or_create(kind="generic", defaults={"down": True})

    with celery_worker(tmp_path, concurrency=8):
        open_all(invoices[:500])
        wait_until(
            lambda: SandboxRequest.objects.filter(kind="generic", status_code=503).count() >= 200,
            timeout=120,
            what="the provider refusing while down",
        )
        # when the provider comes back for the second half
        SandboxFault.objects.filter(kind="generic").update(down=False)
        open_all(invoices[500:])

        # then everything arrives, nothing twice, nothing lost
        wait_until(
            lambda: delivered() == 1000, timeout=600, interval=1, what="1 000 deliveries", report=delivery_states
        )

    assert Delivery.objects.count() == 1000
    assert_each_effect_applied_once(invoices)
    assert SandboxRequest.objects.filter(kind="generic", status_code=503).count() >= 200
