"""Reconciliation: each invoice read back from its provider over real HTTP (the sandbox), classified along the
lifecycle, and the two fixes (adopt the remote state, push ours again) made through the services."""

from __future__ import annotations

import gc
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoices import relay
from invoices.actors import Actor
from invoices.lifecycle import lifecycle_path
from invoices.models import Delivery, Door, Invoice, ReconciliationItem, StatusChange
from invoices.models import ReconciliationResult as R
from invoices.reconciliation import (
    Fix,
    FixRefused,
    ReconciliationError,
    classify,
    fix_refusal,
    reconcile_invoices,
    reconciliation_item_adopt,
    reconciliation_item_push,
)
from invoices.selectors import invoice_data
from providers.base import Change, Operation
from providers.models import ProviderAccount
from providers.registry import adapter_for
from providers.sandbox import rapyd as rapyd_sandbox
from providers.sandbox import vtex as vtex_sandbox
from providers.sandbox.models import SandboxObject, SandboxRequest
from tests.factories import ProviderAccountFactory, UserFactory, history_of, make_invoice
from tests.providers.arcadier.support import checked_out

CUSTOMER = "cus_893a041b7dd251ec894556564298dc13"
SYSTEM = Actor.system("test")


# --- helpers shared by the reconciliation tests -------------------------------------------------------------------
def rapyd_invoice(account: ProviderAccount, *, ours: str, theirs: str | None, **fields: Any) -> Invoice:
    """An invoice of a Rapyd account in status `ours`, which Rapyd holds in status `theirs` (None: Rapyd never
    received it, so the invoice has no Rapyd id)."""
    remote_id = ""
    if theirs is not None:
        held = rapyd_sandbox.seed_invoice(
            customer=CUSTOMER,
            currency="USD",
            lines=[{"amount": 20, "description": "Widget", "quantity": 2, "unit_amount": 10}],
            status=theirs,
        )
        remote_id = held["id"]
    fields.setdefault("remote_id", remote_id)
    return make_invoice(account=account, status=ours, currency="USD", customer_ref=CUSTOMER, **fields)


def set_at_rapyd(invoice: Invoice, status: str) -> None:
    """Change the invoice's status directly in the sandbox, as if someone did it in Rapyd's dashboard."""
    held = SandboxObject.objects.get(kind="rapyd", collection="invoices", key=invoice.remote_id)
    held.data = {**held.data, "status": status}
    held.save()


def rapyd_status(invoice: Invoice) -> str:
    held = rapyd_sandbox.stored_invoice(invoice.remote_id)
    assert held is not None
    return str(held["status"])


def item_of(run: Any, invoice: Invoice) -> ReconciliationItem:
    return ReconciliationItem.objects.get(reconciliation=run, invoice=invoice)


def relay_until_idle() -> None:
    for _ in range(10):
        if not relay.relay(worker="t"):
            return
    raise AssertionError("the relay kept finding deliveries")


# --- the lifecycle as a graph (no database) -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ("open", "open", R.IN_SYNC),
        ("open", "paid", R.REMOTE_AHEAD),
        ("draft", "paid", R.REMOTE_AHEAD),
        ("uncollectible", "refunded", R.REMOTE_AHEAD),
        ("paid", "open", R.LOCAL_AHEAD),
        ("void", "draft", R.LOCAL_AHEAD),
        ("void", "paid", R.CONFLICT),
        ("refunded", "void", R.CONFLICT),
        ("uncollectible", "draft", R.LOCAL_AHEAD),
    ],
)
def test_which_side_is_ahead_follows_the_lifecycle(ours: str, theirs: str, expected: str) -> None:
    assert classify(ours, theirs) == expected


def test_the_walk_to_a_status_takes_the_shortest_way_along_the_lifecycle() -> None:
    assert lifecycle_path("open", "open") == ()
    assert lifecycle_path("open", "paid") == ("paid",)
    assert lifecycle_path("draft", "paid") == ("open", "paid")
    assert lifecycle_path("draft", "refunded") == ("open", "paid", "refunded")
    assert lifecycle_path("void", "paid") is None
    assert lifecycle_path("paid", "open") is None


# --- classification, against the sandbox --------------------------------------------------------------------------
def test_an_invoice_paid_at_rapyd_while_ours_is_open_is_found_remote_ahead(sandbox_account: Any) -> None:
    # given an open invoice Rapyd holds as open, then paid at Rapyd through its own pay endpoint
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="open", theirs="open")
    adapter_for(account).execute(
        invoice_data(invoice), Change(operation=Operation.PUSH, idempotency_key=uuid.uuid4().hex, to_status="paid")
    )
    assert rapyd_status(invoice) == "paid"

    # when
    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    # then
    item = item_of(run, invoice)
    assert (item.result, item.local_status, item.remote_status, item.remote_word) == (
        R.REMOTE_AHEAD,
        "open",
        "paid",
        "paid",
    )
    assert item.detail == f"{account.name} has moved on to 'Paid' (paid); ours is still 'Open (sent)'."
    assert run.counts == {**dict.fromkeys(R.values, 0), R.REMOTE_AHEAD: 1}
    assert run.finished_at is not None
    assert (run.requested_by, run.door) == ("test", Door.COMMAND)
    invoice.refresh_from_db()
    assert invoice.status == "open"  # a run changes nothing


def test_adopting_the_remote_state_walks_the_lifecycle_and_records_each_step_through_the_provider_door(
    sandbox_account: Any,
) -> None:
    # given a draft of ours that Rapyd has finalized and been paid for meanwhile
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="draft", theirs="draft")
    set_at_rapyd(invoice, "paid")
    run = reconcile_invoices(provider="rapyd", actor=SYSTEM, door=Door.COMMAND)
    item = item_of(run, invoice)
    assert item.result == R.REMOTE_AHEAD
    staff = UserFactory(role="operator")

    # when
    message = reconciliation_item_adopt(item_id=item.pk, actor=Actor.for_user(staff))

    # then
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    assert message == f"now 'Paid', as at {account.name} (through 'Open (sent)' → 'Paid')"
    assert history_of(invoice)[-2:] == [("draft", "open"), ("open", "paid")]
    steps = StatusChange.objects.filter(invoice=invoice).order_by("-id")[:2]
    assert {(s.door, s.actor_user, s.reason) for s in steps} == {
        (Door.PROVIDER, staff, f"Adopted from {account.name} (paid) by reconciliation #{run.pk}")
    }
    assert not Delivery.objects.filter(invoice=invoice).exists()  # nothing goes back to Rapyd
    item.refresh_from_db()
    assert (item.fix, item.fixed_by) == (Fix.ADOPT_REMOTE, staff.username)
    assert item.fixed_at is not None
    again = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)
    assert item_of(again, invoice).result == R.IN_SYNC


def test_an_invoice_paid_here_that_rapyd_still_shows_open_is_local_ahead_and_fixed_by_pushing_ours_again(
    sandbox_account: Any,
) -> None:
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="paid", theirs="open")
    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)
    item = item_of(run, invoice)
    assert (item.result, item.remote_status) == (R.LOCAL_AHEAD, "open")
    assert item.detail.endswith("the change never reached it (a delivery was lost).")

    message = reconciliation_item_push(item_id=item.pk, actor=SYSTEM)

    delivery = Delivery.objects.get(invoice=invoice)
    assert message == f"push queued as delivery #{delivery.pk}"
    assert (delivery.to_status, delivery.requested_by) == ("paid", "test")
    relay_until_idle()
    assert rapyd_status(invoice) == "paid"
    item.refresh_from_db()
    assert item.fix == Fix.PUSH_LOCAL
    again = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)
    assert item_of(again, invoice).result == R.IN_SYNC


def test_a_queued_delivery_is_named_as_the_likely_reason_the_provider_is_behind(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="open", theirs="open")
    from invoices.services import invoice_transition

    invoice_transition(invoice_id=invoice.pk, to_status="paid", actor=SYSTEM, door=Door.ADMIN)

    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, invoice)
    assert item.result == R.LOCAL_AHEAD
    assert item.detail.endswith("a delivery is still queued, so it may simply not have gone yet.")


def test_an_invoice_rapyd_does_not_hold_is_missing_remotely(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="open", theirs=None, remote_id=f"invoice_{uuid.uuid4().hex}")

    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, invoice)
    assert item.result == R.MISSING_REMOTELY
    assert item.detail == f"{account.name} holds no such invoice."
    assert fix_refusal(item, Fix.ADOPT_REMOTE).startswith("the provider holds no such invoice")
    assert fix_refusal(item, Fix.PUSH_LOCAL) == ""


def test_a_draft_never_sent_is_in_sync_without_asking_the_provider(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    draft = rapyd_invoice(account, ours="draft", theirs=None)

    run = reconcile_invoices(invoice_ids=[draft.pk], actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, draft)
    assert (item.result, item.detail) == (R.IN_SYNC, f"{account.name} has not received it yet.")
    assert not SandboxRequest.objects.exists()


def test_void_here_and_paid_at_rapyd_is_a_conflict_that_neither_fix_applies_to(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="void", theirs="paid")
    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)
    item = item_of(run, invoice)
    assert item.result == R.CONFLICT
    assert "neither leads to the other along the lifecycle" in item.detail

    with pytest.raises(FixRefused, match="the lifecycle cannot reach 'Paid' from 'Void': settle this one by hand"):
        reconciliation_item_adopt(item_id=item.pk, actor=SYSTEM)
    with pytest.raises(FixRefused, match="the provider would refuse ours"):
        reconciliation_item_push(item_id=item.pk, actor=SYSTEM)

    invoice.refresh_from_db()
    assert invoice.status == "void"
    assert not Delivery.objects.exists()
    item.refresh_from_db()
    assert item.fixed_at is None


def test_an_arcadier_checkout_paid_at_arcadier_is_remote_ahead_in_arcadier_words(sandbox_account: Any) -> None:
    account = sandbox_account("arcadier")
    invoice = checked_out(account, status="open", orders=1)
    held = SandboxObject.objects.get(kind="arcadier", collection="transactions", key=invoice.remote_number)
    held.data["Orders"][0]["PaymentStatus"] = "Paid"
    held.save()

    run = reconcile_invoices(provider=account.name, actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, invoice)
    assert (item.result, item.remote_status, item.remote_word) == (R.REMOTE_AHEAD, "paid", "Paid")


def test_a_vtex_invoice_whose_order_was_never_invoiced_there_is_missing_remotely(sandbox_account: Any) -> None:
    account = sandbox_account("vtex")
    order_id = f"{uuid.uuid4().int % 10**13}-01"
    vtex_sandbox.seed_order(order_id, 2000, currency="USD")
    invoice = make_invoice(account=account, status="open", currency="USD", orders=[{"order_id": order_id}])

    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, invoice)
    assert (item.result, item.remote_word) == (R.MISSING_REMOTELY, "ready-for-handling")


@pytest.mark.parametrize(("kind", "name"), [("modulus", "modulus"), ("generic", "Generic invoicing API")])
def test_providers_without_a_read_endpoint_are_recorded_as_unreadable_with_the_reason(
    sandbox_account: Any, kind: str, name: str
) -> None:
    invoice = make_invoice(account=sandbox_account(kind), status="open", remote_id="4711")

    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    item = item_of(run, invoice)
    assert (item.result, item.detail) == (R.UNREADABLE, f"{name} has no endpoint to read an invoice back.")
    assert run.counts[R.UNREADABLE] == 1
    assert fix_refusal(item, Fix.PUSH_LOCAL).startswith("the provider's state could not be read back")
    assert not SandboxRequest.objects.exists()


def test_a_provider_error_leaves_the_invoice_unreadable_and_the_run_goes_on(sandbox_account: Any) -> None:
    # given a Rapyd account whose keys Rapyd refuses, next to a sound one
    refused = sandbox_account("rapyd", credentials={"access_key": "rak_wrong", "secret_key": "rsk_wrong"})
    sound = sandbox_account("rapyd")
    unread = rapyd_invoice(refused, ours="open", theirs="open")
    read = rapyd_invoice(sound, ours="open", theirs="open")

    run = reconcile_invoices(provider="rapyd", actor=SYSTEM, door=Door.COMMAND)

    failed = item_of(run, unread)
    assert failed.result == R.UNREADABLE
    assert failed.detail.startswith(f"{refused.name} could not be read: ")
    assert "401" in failed.detail
    assert item_of(run, read).result == R.IN_SYNC
    assert run.finished_at is not None


def test_a_disabled_account_is_not_called(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd", enabled=False)
    invoice = rapyd_invoice(account, ours="open", theirs="open")

    run = reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND)

    assert item_of(run, invoice).detail == f"The provider account {account.name} is disabled."
    assert not SandboxRequest.objects.exists()


# --- fixes that do not apply ------------------------------------------------------------------------------------
def test_adopting_where_the_provider_is_behind_is_refused_and_says_what_to_do(sandbox_account: Any) -> None:
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="paid", theirs="open")
    item = item_of(reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND), invoice)

    with pytest.raises(FixRefused, match=r"the provider is behind ours \('Open \(sent\)'\): push ours again instead"):
        reconciliation_item_adopt(item_id=item.pk, actor=SYSTEM)


def test_pushing_where_the_provider_is_ahead_is_refused(sandbox_account: Any) -> None:
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="open", theirs="paid")
    item = item_of(reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND), invoice)

    with pytest.raises(FixRefused, match="pushing ours would take it back"):
        reconciliation_item_push(item_id=item.pk, actor=SYSTEM)
    assert not Delivery.objects.exists()


def test_an_item_is_fixed_once_and_not_after_the_invoice_moved_on(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    fixed = rapyd_invoice(account, ours="open", theirs="paid")
    moved = rapyd_invoice(account, ours="open", theirs="paid")
    run = reconcile_invoices(provider="rapyd", actor=SYSTEM, door=Door.COMMAND)
    reconciliation_item_adopt(item_id=item_of(run, fixed).pk, actor=SYSTEM)
    Invoice.objects.filter(pk=moved.pk).update(status="void")

    with pytest.raises(FixRefused, match=r"already fixed \(adopt the remote state\) by test on "):
        reconciliation_item_adopt(item_id=item_of(run, fixed).pk, actor=SYSTEM)
    with pytest.raises(FixRefused, match="the invoice is 'Void' now, not 'Open \\(sent\\)' as when it was compared"):
        reconciliation_item_adopt(item_id=item_of(run, moved).pk, actor=SYSTEM)


def test_a_provider_rule_that_refuses_the_adoption_undoes_every_step(sandbox_account: Any) -> None:
    # Rapyd pays payment invoices only: adopting 'paid' for a payout invoice stops at that rule, and the step
    # to 'open' made before it is undone with it.
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="draft", theirs="paid", provider_fields={"type": "payout"})
    item = item_of(reconcile_invoices(invoice_ids=[invoice.pk], actor=SYSTEM, door=Door.COMMAND), invoice)

    with pytest.raises(FixRefused, match="Rapyd pays only payment invoices"):
        reconciliation_item_adopt(item_id=item.pk, actor=SYSTEM)

    invoice.refresh_from_db()
    assert invoice.status == "draft"
    assert history_of(invoice) == [("", "draft")]


# --- what a run covers ------------------------------------------------------------------------------------------
def test_a_run_covers_one_account_or_kind_issued_since_a_date(db: None) -> None:
    import datetime as dt

    modulus = ProviderAccountFactory(kind="modulus", name="modulus-eu")
    generic = ProviderAccountFactory(kind="generic")
    old = make_invoice(account=modulus, issue_date=dt.date(2025, 1, 1), due_date=None)
    new = make_invoice(account=modulus, issue_date=dt.date(2026, 3, 1), due_date=None)
    other = make_invoice(account=generic)

    by_name = reconcile_invoices(provider="modulus-eu", actor=SYSTEM, door=Door.COMMAND)
    by_kind_since = reconcile_invoices(provider="modulus", since=dt.date(2026, 1, 1), actor=SYSTEM, door=Door.COMMAND)

    assert set(by_name.items.values_list("invoice", flat=True)) == {old.pk, new.pk}
    assert set(by_kind_since.items.values_list("invoice", flat=True)) == {new.pk}
    assert (by_kind_since.provider, by_kind_since.since) == ("modulus", dt.date(2026, 1, 1))
    assert other.pk not in set(ReconciliationItem.objects.values_list("invoice", flat=True))
    with pytest.raises(ReconciliationError, match="No provider account or kind named 'nowhere'"):
        reconcile_invoices(provider="nowhere", actor=SYSTEM, door=Door.COMMAND)
    with pytest.raises(ReconciliationError, match="No invoice with id 999999"):
        reconcile_invoices(invoice_ids=[new.pk, 999999], actor=SYSTEM, door=Door.COMMAND)


def test_a_run_reads_invoices_in_chunks_with_a_constant_number_of_queries_per_chunk(db: None) -> None:
    # Modulus has no read endpoint, so this measures the database side alone.
    account = ProviderAccountFactory(kind="modulus")

    def queries_for(count: int, chunk_size: int = 5) -> int:
        while Invoice.objects.filter(account=account).count() < count:
            make_invoice(account=account)
        with CaptureQueriesContext(connection) as captured:
            run = reconcile_invoices(provider=account.name, actor=SYSTEM, door=Door.COMMAND, chunk_size=chunk_size)
        assert run.items.count() == count
        return len(captured)

    ten, fifteen, twenty_five = queries_for(10), queries_for(15), queries_for(25)
    twenty_five_in_one_chunk = queries_for(25, chunk_size=25)

    per_chunk = fifteen - ten
    assert per_chunk <= 5  # the page, its lines, its orders, the items, the counts so far
    assert twenty_five - fifteen == 2 * per_chunk  # five more invoices cost one more chunk
    # and a chunk costs the same whatever it holds: 25 invoices in one chunk cost what 5 do
    assert twenty_five_in_one_chunk == ten - per_chunk


def test_no_page_of_invoices_outlives_the_run_even_without_the_garbage_collector(db: None) -> None:
    # Reference cycles would keep every page alive until a full collection: memory would then grow with the
    # number of invoices instead of staying at one page.
    account = ProviderAccountFactory(kind="modulus")
    for _ in range(12):
        make_invoice(account=account, orders=[{"order_id": uuid.uuid4().hex}])

    def live_invoices() -> int:
        # type(), not isinstance(): a dead weak proxy among the objects would raise on isinstance
        return sum(type(obj) is Invoice for obj in gc.get_objects())

    gc.collect()
    before = live_invoices()
    gc.disable()
    try:
        reconcile_invoices(provider=account.name, actor=SYSTEM, door=Door.COMMAND, chunk_size=5)
        after = live_invoices()
    finally:
        gc.enable()

    assert after == before


def test_progress_is_reported_after_each_chunk(db: None) -> None:
    account = ProviderAccountFactory(kind="generic")
    for _ in range(7):
        make_invoice(account=account)
    steps: list[int] = []

    reconcile_invoices(provider=account.name, actor=SYSTEM, door=Door.COMMAND, chunk_size=3, on_progress=steps.append)

    assert steps == [3, 3, 1]
