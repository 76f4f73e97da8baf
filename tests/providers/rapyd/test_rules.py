"""The Rapyd rules checked before anything is recorded refuse what Rapyd itself refuses."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
import requests

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition
from invoices.models import Door
from invoices.services import invoice_transition, invoice_update
from providers.base import InvoiceData, ProviderRuleError
from providers.rapyd.adapter import RapydAdapter
from providers.rapyd.status import MOVES
from providers.sandbox import rapyd as emulator
from tests.factories import ProviderAccountFactory, make_invoice

from .helpers import plain_invoice as invoice
from .helpers import plain_line as line


def test_refunded_is_refused_with_rapyds_reason_naming_both_statuses() -> None:
    with pytest.raises(IllegalTransition) as excinfo:
        RapydAdapter.check_transition(invoice(status="paid", remote_id="invoice_1"), "refunded")

    message = str(excinfo.value)
    assert "Paid" in message
    assert "Refunded" in message
    assert "Rapyd invoices have no refunded state" in message
    assert (excinfo.value.from_status, excinfo.value.to_status) == ("paid", "refunded")


@pytest.mark.parametrize(("from_status", "to_status"), sorted(MOVES))
def test_every_move_of_rapyds_state_machine_is_allowed(from_status: str, to_status: str) -> None:
    RapydAdapter.check_transition(invoice(status=from_status, remote_id="invoice_1"), to_status)


@pytest.mark.parametrize(("from_status", "to_status"), [("paid", "void"), ("void", "open"), ("draft", "paid")])
def test_moves_outside_rapyds_state_machine_are_refused(from_status: str, to_status: str) -> None:
    with pytest.raises(IllegalTransition, match="Rapyd's invoice state machine"):
        RapydAdapter.check_transition(invoice(status=from_status, remote_id="invoice_1"), to_status)


def test_an_invoice_rapyd_has_not_seen_needs_a_customer_id_to_be_created() -> None:
    with pytest.raises(IllegalTransition, match="customer's id"):
        RapydAdapter.check_transition(invoice(customer_ref=""), "open")


def test_an_invoice_rapyd_has_not_seen_may_still_be_voided_without_a_customer() -> None:
    RapydAdapter.check_transition(invoice(customer_ref=""), "void")


def test_lines_with_several_tax_rates_are_refused_before_creation() -> None:
    data = invoice(lines=(line(tax_rate="19"), line(tax_rate="7")))

    with pytest.raises(IllegalTransition, match="one rate"):
        RapydAdapter.check_transition(data, "open")


def test_a_payout_invoice_cannot_be_marked_paid() -> None:
    data = invoice(status="open", remote_id="invoice_1", provider_fields={"type": "payout"})

    with pytest.raises(IllegalTransition, match="payout"):
        RapydAdapter.check_transition(data, "paid")


@pytest.mark.parametrize("status", ["open", "paid", "uncollectible", "void"])
@pytest.mark.parametrize("field", ["description", "due_date", "metadata", "provider_fields", "lines"])
def test_provider_visible_edits_are_refused_unless_draft(status: str, field: str) -> None:
    with pytest.raises(ProviderRuleError, match="Rapyd updates an invoice only while it is draft"):
        RapydAdapter.check_edit(invoice(status=status, remote_id="invoice_1"), {field})


def test_local_only_edits_are_allowed_in_any_status() -> None:
    RapydAdapter.check_edit(invoice(status="paid", remote_id="invoice_1"), {"customer_name", "tracking_number"})


def test_a_draft_at_rapyd_takes_field_updates_but_not_new_lines_or_currency() -> None:
    draft = invoice(remote_id="invoice_1")

    RapydAdapter.check_edit(draft, {"description", "due_date", "metadata"})
    with pytest.raises(ProviderRuleError, match="currency, lines"):
        RapydAdapter.check_edit(draft, {"lines", "currency"})


def test_a_draft_rapyd_has_not_seen_may_change_anything() -> None:
    RapydAdapter.check_edit(invoice(), {"lines", "currency", "customer_ref", "discount"})


def test_a_payout_invoice_is_never_updated() -> None:
    with pytest.raises(ProviderRuleError, match="payout"):
        RapydAdapter.check_edit(invoice(provider_fields={"type": "payout"}), {"description"})


# -- through the services, and against the sandbox -----------------------------------------------------------
@pytest.mark.django_db
def test_the_service_refuses_an_edit_of_an_open_rapyd_invoice_and_changes_nothing() -> None:
    account = ProviderAccountFactory(kind="rapyd")
    opened = make_invoice(account=account, status="open", description="before")

    with pytest.raises(ProviderRuleError):
        invoice_update(invoice_id=opened.pk, actor=Actor.system(), door=Door.COMMAND, description="after")

    opened.refresh_from_db()
    assert opened.description == "before"


@pytest.mark.django_db
def test_the_service_refuses_a_refund_of_a_rapyd_invoice() -> None:
    paid = make_invoice(account=ProviderAccountFactory(kind="rapyd"), status="paid", customer_ref="cus_1")

    with pytest.raises(IllegalTransition, match="refunded"):
        invoice_transition(invoice_id=paid.pk, to_status="refunded", actor=Actor.system(), door=Door.COMMAND)


@pytest.mark.parametrize("status", ["open", "paid", "uncollectible", "void"])
def test_the_sandbox_refuses_the_update_the_rule_refuses(
    status: str, raw: Callable[..., requests.Response], rapyd_invoice: Callable[..., InvoiceData]
) -> None:
    # given an invoice Rapyd holds in that status, and the rule's verdict on editing it
    held = emulator.seed_invoice(status=status)
    data = rapyd_invoice(status=status, remote_id=held["id"], lines=[{"unit_price": Decimal("1")}])
    with pytest.raises(ProviderRuleError):
        RapydAdapter.check_edit(data, {"description"})

    # when the same edit is sent to Rapyd anyway
    response = raw("POST", f"/v1/invoices/{held['id']}", '{"description":"x"}')

    # then Rapyd refuses it too
    assert response.status_code == 400
    assert response.json()["status"]["error_code"] == "ERROR_UPDATE_NOT_DRAFT_INVOICE"
