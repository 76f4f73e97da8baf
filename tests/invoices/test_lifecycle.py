from __future__ import annotations

import itertools

import pytest

from invoices.actors import Actor
from invoices.lifecycle import TRANSITIONS, IllegalTransition, InvoiceStatus
from invoices.models import Door, Invoice, StatusChange
from invoices.services import invoice_transition
from tests.factories import ProviderAccountFactory, history_of, make_invoice

ALL_PAIRS = list(itertools.product(InvoiceStatus.values, InvoiceStatus.values))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def test_the_table_has_both_kinds_of_move() -> None:
    assert ("draft", "open") in ALLOWED
    assert ("paid", "void") in FORBIDDEN
    assert ("void", "paid") in FORBIDDEN


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition_is_recorded_with_its_history(from_status: str, to_status: str) -> None:
    # given an invoice of the generic provider (which adds no rule of its own)
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status=from_status)

    # when
    outcome = invoice_transition(
        invoice_id=invoice.pk, to_status=to_status, actor=Actor.system("test"), door=Door.COMMAND, reason="because"
    )

    # then
    invoice.refresh_from_db()
    assert invoice.status == to_status
    assert invoice.version == 2
    assert outcome.change.from_status == from_status
    assert outcome.change.to_status == to_status
    assert outcome.change.reason == "because"
    assert outcome.change.door == "command"
    assert history_of(invoice)[-1] == (from_status, to_status)
    if to_status == "paid":
        assert invoice.paid_at is not None
    if to_status == "void":
        assert invoice.voided_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_every_forbidden_transition_raises_one_error_naming_both_statuses(from_status: str, to_status: str) -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status=from_status)

    with pytest.raises(IllegalTransition) as excinfo:
        invoice_transition(invoice_id=invoice.pk, to_status=to_status, actor=Actor.system(), door=Door.COMMAND)

    message = str(excinfo.value)
    assert InvoiceStatus(from_status).label in message
    assert InvoiceStatus(to_status).label in message
    invoice.refresh_from_db()
    assert invoice.status == from_status
    assert invoice.version == 1
    assert history_of(invoice) == [("", from_status if from_status == "draft" else "draft")]


@pytest.mark.django_db
def test_an_unknown_status_is_refused() -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    with pytest.raises(IllegalTransition, match="unknown status"):
        invoice_transition(invoice_id=invoice.pk, to_status="lost", actor=Actor.system(), door=Door.COMMAND)


@pytest.mark.django_db(transaction=True)
def test_status_and_history_roll_back_together_when_the_history_write_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # given an invoice, and a history write that fails after the invoice row was saved
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(StatusChange.objects, "create", boom)

    # when
    with pytest.raises(RuntimeError):
        invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.system(), door=Door.COMMAND)

    # then neither the status nor the version moved
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.version) == ("draft", 1)
    assert StatusChange.objects.filter(invoice=invoice).count() == 1


@pytest.mark.django_db(transaction=True)
def test_history_rolls_back_when_the_invoice_save_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    original_save = Invoice.save

    def failing_save(self: Invoice, *args: object, **kwargs: object) -> None:
        original_save(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("crash after the row was written")

    monkeypatch.setattr(Invoice, "save", failing_save)
    with pytest.raises(RuntimeError):
        invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.system(), door=Door.COMMAND)

    monkeypatch.undo()
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
    assert StatusChange.objects.filter(invoice=invoice, to_status="open").count() == 0


@pytest.mark.django_db
def test_history_rows_cannot_be_edited_or_deleted() -> None:
    from invoices.models import AppendOnlyError

    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    row = StatusChange.objects.get(invoice=invoice)
    row.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.django_db
def test_the_history_names_the_actor_and_the_door() -> None:
    from tests.factories import UserFactory

    user = UserFactory(username="alice")
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    invoice_transition(invoice_id=invoice.pk, to_status="open", actor=Actor.for_user(user), door=Door.ADMIN)
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.actor_type, change.actor_user, change.actor_label, change.door) == ("user", user, "alice", "admin")
