"""invoice_apply_provider_event: what a provider reports, applied through the lifecycle and never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition, lifecycle_path
from invoices.models import Delivery, Door
from invoices.services import invoice_apply_provider_event
from tests.factories import ProviderAccountFactory, history_of, make_invoice

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ORDER = "6a1d0c2e-3b4f-4a5e-8c7d-9e0f1a2b3c4d"


def apply(invoice_id: int, **kwargs: object) -> object:
    return invoice_apply_provider_event(
        invoice_id=invoice_id,
        actor=Actor.system("rapyd webhook"),
        door=Door.WEBHOOK,
        reason="test event",
        **{"occurred_at": T0, **kwargs},  # type: ignore[arg-type]
    )


def test_the_lifecycle_walk_takes_the_intermediate_steps() -> None:
    assert lifecycle_path("draft", "paid") == ("open", "paid")
    assert lifecycle_path("draft", "refunded") == ("open", "paid", "refunded")
    assert lifecycle_path("paid", "paid") == ()
    assert lifecycle_path("paid", "open") is None


def test_a_draft_reported_paid_goes_through_open_and_takes_the_providers_payment_time() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), remote_id="r-1")

    outcome = apply(invoice.pk, to_status="paid", paid_at=T0 - timedelta(minutes=1))

    invoice.refresh_from_db()
    assert outcome.applied  # type: ignore[attr-defined]
    assert history_of(invoice) == [("", "draft"), ("draft", "open"), ("open", "paid")]
    assert (invoice.paid_at, invoice.last_provider_event_at) == (T0 - timedelta(minutes=1), T0)
    assert Delivery.objects.filter(invoice=invoice).count() == 0


def test_an_event_older_than_the_last_applied_one_changes_nothing() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="open")
    apply(invoice.pk, to_status="paid")

    outcome = apply(invoice.pk, to_status="void", occurred_at=T0 - timedelta(seconds=1))

    invoice.refresh_from_db()
    assert not outcome.applied  # type: ignore[attr-defined]
    assert "older than the newest one already applied" in outcome.message  # type: ignore[attr-defined]
    assert (invoice.status, invoice.last_provider_event_at) == ("paid", T0)


def test_a_status_the_invoice_has_already_passed_changes_nothing() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="paid")

    outcome = apply(invoice.pk, to_status="open")

    invoice.refresh_from_db()
    assert not outcome.applied  # type: ignore[attr-defined]
    assert invoice.status == "paid"
    assert invoice.last_provider_event_at is None


def test_a_move_the_lifecycle_forbids_raises_and_changes_nothing() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="void")

    with pytest.raises(IllegalTransition, match="allowed from there: none"):
        apply(invoice.pk, to_status="paid")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_provider_event_at) == ("void", None)


def test_the_same_status_is_recorded_as_seen_without_a_history_row() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="open")

    outcome = apply(invoice.pk, to_status="open")

    invoice.refresh_from_db()
    assert outcome.message.endswith("already 'Open (sent)', nothing to change")  # type: ignore[attr-defined]
    assert invoice.last_provider_event_at == T0
    assert history_of(invoice) == [("", "draft")]


def test_order_payments_update_the_orders_the_invoice_covers_and_only_those() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="arcadier"), status="open", orders=[{"order_id": ORDER}])
    version = invoice.version

    outcome = apply(
        invoice.pk,
        order_payments=[
            {"order_id": ORDER.upper(), "payment_status": "Paid", "amount": Decimal("12.5"), "gateway": {"Code": "x"}},
            {"order_id": "not-ours", "payment_status": "Paid"},
        ],
    )

    invoice.refresh_from_db()
    [order] = invoice.orders.all()
    assert (order.payment_status, order.amount, order.gateway) == ("Paid", Decimal("12.5"), {"Code": "x"})
    assert invoice.version == version + 1
    assert "order not-ours is not on this invoice" in outcome.message  # type: ignore[attr-defined]
