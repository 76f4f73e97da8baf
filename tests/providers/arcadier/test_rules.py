"""What Arcadier refuses is refused before anything is recorded: status moves and edits."""

from __future__ import annotations

import pytest

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition
from invoices.models import Door
from invoices.services import invoice_transition, invoice_update
from providers.arcadier.adapter import ArcadierAdapter
from providers.base import ProviderRuleError
from providers.kinds import ProviderKind
from tests.factories import ProviderAccountFactory, make_invoice
from tests.providers.arcadier.support import an_invoice, an_order, guid


def test_uncollectible_is_refused_because_arcadier_has_no_such_state() -> None:
    with pytest.raises(IllegalTransition) as excinfo:
        ArcadierAdapter.check_transition(an_invoice(status="open"), "uncollectible")

    assert excinfo.value.from_status == "open"
    assert excinfo.value.to_status == "uncollectible"
    assert "Arcadier has no uncollectible state" in str(excinfo.value)


def test_an_invoice_without_orders_cannot_be_sent() -> None:
    with pytest.raises(IllegalTransition, match="tie up orders"):
        ArcadierAdapter.check_transition(an_invoice(status="draft", orders=()), "open")


@pytest.mark.parametrize("to_status", ["open", "paid", "refunded", "void"])
def test_moves_with_orders_identified_by_guids_are_allowed(to_status: str) -> None:
    ArcadierAdapter.check_transition(an_invoice(), to_status)


def test_a_draft_without_orders_may_still_be_voided_locally() -> None:
    ArcadierAdapter.check_transition(an_invoice(status="draft", orders=()), "void")


@pytest.mark.parametrize(
    ("order", "named"),
    [
        (an_order(order_id="ORDER-1"), "order 'ORDER-1'"),
        (an_order(payee_ref="merchant-7"), "payee 'merchant-7'"),
        (an_order(payer_ref="42"), "payer '42'"),
    ],
)
def test_ids_that_are_not_guids_are_refused_as_arcadier_would(order: object, named: str) -> None:
    with pytest.raises(IllegalTransition, match=named):
        ArcadierAdapter.check_transition(an_invoice(status="draft", orders=(order,)), "open")


def test_the_currency_fixed_at_checkout_cannot_change_once_sent() -> None:
    with pytest.raises(ProviderRuleError, match="currency at checkout"):
        ArcadierAdapter.check_edit(an_invoice(status="open"), {"currency", "description"})


def test_a_draft_may_still_change_its_currency_orders_and_number() -> None:
    ArcadierAdapter.check_edit(an_invoice(status="draft"), {"currency", "orders", "remote_number"})


@pytest.mark.parametrize("status", ["paid", "refunded", "void"])
@pytest.mark.parametrize(("field", "named"), [("orders", "its orders"), ("remote_number", "its invoice number")])
def test_orders_and_number_cannot_change_once_payments_are_settled(status: str, field: str, named: str) -> None:
    with pytest.raises(ProviderRuleError, match=f"settled the payments of this invoice: {named} cannot"):
        ArcadierAdapter.check_edit(an_invoice(status=status), {field})


def test_orders_and_number_may_change_while_the_invoice_awaits_payment() -> None:
    ArcadierAdapter.check_edit(an_invoice(status="open"), {"orders", "remote_number", "description"})


@pytest.mark.django_db
def test_the_transition_service_refuses_uncollectible_for_an_arcadier_invoice() -> None:
    account = ProviderAccountFactory(kind=ProviderKind.ARCADIER)
    orders = [{"order_id": guid(), "payee_ref": guid(), "payer_ref": guid()}]
    invoice = make_invoice(account=account, status="open", orders=orders)

    with pytest.raises(IllegalTransition, match="Arcadier has no uncollectible state"):
        invoice_transition(invoice_id=invoice.pk, to_status="uncollectible", actor=Actor.system("t"), door=Door.ADMIN)

    invoice.refresh_from_db()
    assert invoice.status == "open"


@pytest.mark.django_db
def test_the_update_service_refuses_a_new_currency_for_a_sent_arcadier_invoice() -> None:
    account = ProviderAccountFactory(kind=ProviderKind.ARCADIER)
    invoice = make_invoice(account=account, status="open", currency="USD")

    with pytest.raises(ProviderRuleError):
        invoice_update(invoice_id=invoice.pk, actor=Actor.system("t"), door=Door.ADMIN, currency="EUR")

    invoice.refresh_from_db()
    assert invoice.currency == "USD"
