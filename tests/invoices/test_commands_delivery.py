"""push_invoices, deliver_outbox and retry_deliveries, against the sandbox over HTTP."""

from __future__ import annotations

import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from invoices.actors import Actor
from invoices.models import Delivery, DeliveryState, Door, Invoice
from invoices.services import invoice_transition
from providers.sandbox.models import SandboxRequest
from tests.factories import make_invoice
from tests.invoices.conftest import generic_lines
from tests.providers.faults import effects


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_push_dry_run_shows_the_requests_and_queues_nothing(generic_invoice: Any) -> None:
    invoice = generic_invoice()

    out, _ = run("push_invoices", "--ids", str(invoice.pk), "--dry-run", "-v", "2")

    assert f"PUT {invoice.account.base_url}/api/v1/Invoice/Update" in out
    assert "Authorization: Bearer ***" in out
    assert invoice.account.get_credentials()["token"] not in out
    assert "Would push 1 of 1 invoice(s); 0 could not be pushed." in out
    assert Delivery.objects.count() == 0
    assert SandboxRequest.objects.count() == 0


def test_push_then_deliver_outbox_brings_the_provider_in_line(generic_invoice: Any) -> None:
    invoices = [generic_invoice() for _ in range(3)]

    out, _ = run("push_invoices", "--provider", "generic")
    assert "Queued pushes for 3 of 3 invoice(s)" in out
    out, _ = run("deliver_outbox")

    assert "Attempted 3 deliveries" in out
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SUCCEEDED}
    assert len(effects("generic")) == 3
    assert {i.remote_id for i in invoices} == {e.split(" ")[1] for e in effects("generic")}


def test_push_reports_each_invoice_it_cannot_push_and_exits_1(sandbox_account: Any) -> None:
    # an invoice in a currency the generic account has no code for cannot be previewed, so it is not queued
    account = sandbox_account("generic")
    invoice = make_invoice(account=account, currency="EUR", remote_id=str(uuid.uuid4()), lines=generic_lines())

    with pytest.raises(CommandError) as excinfo:
        run("push_invoices", "--ids", str(invoice.pk))

    assert excinfo.value.returncode == 1
    assert "0 of 1" in str(excinfo.value)
    assert Delivery.objects.count() == 0


def test_deliver_outbox_exits_1_when_a_delivery_is_refused_and_retry_deliveries_requeues_it(
    sandbox_account: Any,
) -> None:
    # given an invoice the provider does not know yet
    from providers.sandbox.generic import seed_invoice

    account = sandbox_account("generic")
    remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
    invoice = make_invoice(
        account=account,
        currency="USD",
        remote_id=remote_id,
        customer_ref=customer,
        receiving_account_ref=receiver,
        lines=generic_lines(),
    )
    invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.system(), door=Door.COMMAND)

    with pytest.raises(CommandError) as excinfo:
        run("deliver_outbox")
    assert excinfo.value.returncode == 1
    assert "1 newly failed or dead" in str(excinfo.value)

    # when the provider learns the invoice and the operator retries
    seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
    out, _ = run("retry_deliveries", "--state", "failed", "--provider", invoice.account.name)
    assert "Queued 1 of 1 deliveries again" in out
    run("deliver_outbox")

    # then it is through, once
    assert Delivery.objects.get().state == DeliveryState.SUCCEEDED
    assert len(effects("generic")) == 1
    assert Invoice.objects.get(pk=invoice.pk).sync_state == "synced"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("push_invoices", (), "Give at least one filter"),
        ("push_invoices", ("--status", "lost"), "Unknown status lost"),
        ("push_invoices", ("--issued-since", "yesterday"), "YYYY-MM-DD"),
        ("push_invoices", ("--provider", "nobody"), "No provider account or kind named nobody"),
        ("retry_deliveries", ("--state", "succeeded"), "Only failed and dead deliveries"),
        ("retry_deliveries", ("--ids", "x"), "delivery ids"),
        ("deliver_outbox", ("--interval", "0"), "must be positive"),
    ],
)
def test_bad_arguments_exit_2(command: str, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run(command, *args)
    assert excinfo.value.returncode == 2
    assert message in str(excinfo.value)


@pytest.mark.django_db
def test_retry_deliveries_dry_run_changes_nothing() -> None:
    invoice = make_invoice()
    delivery = Delivery.objects.create(
        invoice=invoice,
        account=invoice.account,
        idempotency_key=uuid.uuid4().hex,
        state=DeliveryState.DEAD,
        next_attempt_at=invoice.created_at,
        last_error="HTTP 503",
    )

    out, _ = run("retry_deliveries", "--dry-run")

    assert f"#{delivery.pk} {invoice.number} dead: HTTP 503" in out
    assert "would retry 1 deliveries" in out
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
