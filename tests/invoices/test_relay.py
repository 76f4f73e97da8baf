"""The outbox relay against the sandbox over real HTTP (generic provider: full-replace pushes)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoices import relay
from invoices.actors import Actor
from invoices.deliveries import delivery_cancel, delivery_retry, provider_set_paused
from invoices.models import AttemptOutcome, Delivery, DeliveryState, Door, Invoice, SyncState
from invoices.services import invoice_transition
from tests.factories import make_invoice
from tests.invoices.conftest import generic_lines
from tests.providers.faults import effects, script_faults

WORKER = "test-worker"


def move(invoice: Invoice, to_status: str) -> Delivery:
    invoice_transition(invoice_id=invoice.pk, to_status=to_status, actor=Actor.system("test"), door=Door.COMMAND)
    return Delivery.objects.filter(invoice=invoice).latest("id")


def run_relay() -> int:
    return relay.relay(worker=WORKER, budget_seconds=30)


def test_a_status_change_and_its_delivery_commit_together(generic_invoice: Any) -> None:
    invoice = generic_invoice()

    def change_then_fail() -> None:
        with transaction.atomic():
            move(invoice, "open")
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert Delivery.objects.filter(invoice=invoice).count() == 0
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"


def test_a_change_from_the_provider_itself_is_not_sent_back(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.system(), door=Door.WEBHOOK)
    assert Delivery.objects.filter(invoice=invoice).count() == 0


def test_a_delivery_reaches_the_provider_and_the_invoice_is_in_sync(generic_invoice: Any) -> None:
    # given
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.PENDING

    # when
    assert run_relay() == 1

    # then
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    attempt = delivery.attempt_log.get()
    assert attempt.outcome == AttemptOutcome.SUCCEEDED
    assert attempt.exchanges[0]["method"] == "PUT"
    assert attempt.exchanges[0]["status_code"] == 200
    assert attempt.exchanges[0]["request_headers"]["Authorization"] == "***"
    assert invoice.account.get_credentials()["token"] not in str(attempt.exchanges)
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.sync_state, fresh.sync_error) == (SyncState.SYNCED, "")
    assert fresh.last_synced_at is not None
    assert len(effects("generic")) == 1


def test_a_temporary_failure_is_retried_later_honouring_retry_after(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    script_faults("generic", ["429"], retry_after_s=7)

    before = timezone.now()
    run_relay()

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error_kind == "temporary"
    assert delivery.next_attempt_at >= before + timedelta(seconds=7)
    assert delivery.attempt_log.get().outcome == AttemptOutcome.TEMPORARY
    # not due yet: a second relay pass sends nothing
    assert run_relay() == 0
    # once due, it goes through
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert run_relay() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts == 2


def test_a_rejected_delivery_stops_with_the_providers_message_and_is_not_retried(sandbox_account: Any) -> None:
    # given an invoice the provider does not know
    account = sandbox_account("generic")
    invoice = make_invoice(
        account=account,
        currency="USD",
        remote_id=str(uuid.uuid4()),
        customer_ref=str(uuid.uuid4()),
        receiving_account_ref=str(uuid.uuid4()),
        lines=generic_lines(),
    )
    delivery = move(invoice, "open")

    run_relay()

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error_kind == "rejected"
    assert delivery.provider_message
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert run_relay() == 0
    assert delivery.attempt_log.count() == 1


def test_a_delivery_goes_dead_when_its_attempts_run_out(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    Delivery.objects.filter(pk=delivery.pk).update(max_attempts=2)
    script_faults("generic", ["503", "503"])

    run_relay()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    run_relay()

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 2
    assert Invoice.objects.get(pk=invoice.pk).sync_state == SyncState.FAILED

    # a retry by staff puts it back in line with the same idempotency key
    key = delivery.idempotency_key
    delivery_retry(delivery_id=delivery.pk, actor=Actor.system("staff"))
    assert run_relay() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.idempotency_key) == (DeliveryState.SUCCEEDED, key)


def test_deliveries_of_one_invoice_go_out_in_order(generic_invoice: Any) -> None:
    # given two changes, the first of which fails for now
    invoice = generic_invoice()
    first = move(invoice, "open")
    second = move(invoice, "paid")
    script_faults("generic", ["503"])

    # when the relay runs, the second is held behind the first
    run_relay()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == DeliveryState.PENDING
    assert (second.state, second.attempts) == (DeliveryState.PENDING, 0)

    # then, once the first is through, the second follows
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    run_relay()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (DeliveryState.SUCCEEDED, DeliveryState.SUCCEEDED)
    assert first.attempt_log.last().finished_at <= second.attempt_log.first().started_at


def test_a_failed_delivery_holds_the_invoices_later_ones_until_it_is_cancelled(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    first = move(invoice, "open")
    second = move(invoice, "paid")
    Delivery.objects.filter(pk=first.pk).update(state=DeliveryState.FAILED)

    assert run_relay() == 0
    delivery_cancel(delivery_id=first.pk, actor=Actor.system("staff"))
    assert run_relay() == 1
    second.refresh_from_db()
    assert second.state == DeliveryState.SUCCEEDED


def test_a_lost_workers_delivery_is_taken_back_as_uncertain_and_applied_once(generic_invoice: Any) -> None:
    # given a delivery claimed by a worker that died before recording anything
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    claims = relay.claim(worker="dead-worker", limit=5)
    assert [c.delivery_id for c in claims] == [delivery.pk]
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    # when another worker relays
    run_relay()

    # then it was taken back, marked uncertain, and delivered
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert delivery.attempts == 2
    assert len(effects("generic")) == 1


def test_the_dead_workers_late_answer_cannot_overwrite_the_new_owner(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    [stale] = relay.claim(worker="slow-worker", limit=1)
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    relay.reclaim_expired()

    # the slow worker wakes up: its claim is no longer valid, so it sends nothing
    assert relay.deliver(stale, worker="slow-worker") == DeliveryState.PENDING
    assert effects("generic") == []


def test_a_paused_provider_keeps_its_deliveries_queued_until_resumed(generic_invoice: Any) -> None:
    invoice = generic_invoice()
    delivery = move(invoice, "open")
    provider_set_paused(account_id=invoice.account_id, paused=True, actor=Actor.system())

    assert run_relay() == 0
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING

    provider_set_paused(account_id=invoice.account_id, paused=False, actor=Actor.system())
    assert run_relay() == 1


def test_claims_respect_the_providers_concurrency_limit(generic_invoice: Any) -> None:
    first = generic_invoice(max_concurrency=1)
    account = first.account
    second = make_invoice(account=account, currency="USD", remote_id=str(uuid.uuid4()), lines=generic_lines())
    move(first, "open")
    move(second, "open")

    claims = relay.claim(worker="w1", limit=10)
    assert len(claims) == 1
    assert relay.claim(worker="w2", limit=10) == []


def test_the_queries_per_delivery_are_bounded(generic_invoice: Any) -> None:
    # given ten invoices with one delivery each
    invoices = [generic_invoice() for _ in range(10)]
    for invoice in invoices:
        move(invoice, "open")
    claims = relay.claim(worker=WORKER, limit=10)
    assert len(claims) == 10

    # when each is delivered, the database work per delivery does not grow with the batch
    counts = []
    for claimed in claims:
        with CaptureQueriesContext(connection) as ctx:
            relay.deliver(claimed, worker=WORKER)
        counts.append(len(ctx.captured_queries))

    assert max(counts) <= 16
    assert len(set(counts)) == 1
