"""VTEX's rules, checked before anything is recorded or sent (no network).

Each refusal here has its twin at the emulator (test_emulator.py, test_push.py): what we refuse early is
what VTEX itself refuses.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.actors import Actor
from invoices.lifecycle import IllegalTransition
from invoices.models import Delivery, Door, Invoice
from invoices.selectors import invoice_data
from invoices.services import invoice_transition, invoice_update
from providers.base import ProviderRuleError
from providers.vtex.adapter import VtexAdapter
from tests.factories import ProviderAccountFactory, make_invoice

from .helpers import ORDER_ID, sale_lines

SYSTEM = Actor.system("tests")


def deliveries(invoice: Invoice) -> list[tuple[str, str]]:
    return list(Delivery.objects.filter(invoice=invoice).order_by("id").values_list("operation", "to_status"))


@pytest.fixture
def vtex_invoice(db):
    account = ProviderAccountFactory(kind="vtex")

    def build(status: str = "draft", **fields):
        fields.setdefault("orders", [{"order_id": ORDER_ID}])
        fields.setdefault("lines", sale_lines())
        return make_invoice(account=account, status=status, **fields)

    return build


@pytest.mark.parametrize("to_status", ["open", "void"])
def test_a_draft_may_be_sent_or_dropped(vtex_invoice, to_status):
    VtexAdapter.check_transition(invoice_data(vtex_invoice()), to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("open", "paid"),
        ("open", "void"),
        ("open", "uncollectible"),
        ("paid", "refunded"),
        ("uncollectible", "void"),
    ],
)
def test_an_invoiced_orders_status_cannot_change(vtex_invoice, from_status, to_status):
    with pytest.raises(IllegalTransition) as refused:
        VtexAdapter.check_transition(invoice_data(vtex_invoice(from_status)), to_status)

    assert (refused.value.from_status, refused.value.to_status) == (from_status, to_status)
    assert refused.value.detail == "VTEX: an invoiced order's status cannot change"


def test_the_service_refuses_voiding_an_invoice_sent_to_vtex(vtex_invoice):
    invoice = vtex_invoice("open")

    with pytest.raises(IllegalTransition, match="VTEX: an invoiced order's status cannot change"):
        invoice_transition(invoice_id=invoice.pk, to_status="void", actor=SYSTEM, door=Door.ADMIN)

    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_an_invoice_without_an_order_id_cannot_be_sent(vtex_invoice):
    with pytest.raises(IllegalTransition, match="VTEX: an invoice needs the id of the order it invoices"):
        VtexAdapter.check_transition(invoice_data(vtex_invoice(orders=[])), "open")


def test_an_invoice_with_a_fractional_quantity_cannot_be_sent(vtex_invoice):
    invoice = vtex_invoice(lines=sale_lines(quantity="0.5"))

    with pytest.raises(IllegalTransition, match=r"line 1 has a fractional quantity \(0\.500\)"):
        invoice_transition(invoice_id=invoice.pk, to_status="open", actor=SYSTEM, door=Door.ADMIN)


def test_an_invoice_of_nothing_cannot_be_sent(vtex_invoice):
    invoice = vtex_invoice(lines=[{"sku": "FREE", "quantity": Decimal("1"), "unit_price": Decimal("0")}])

    with pytest.raises(IllegalTransition, match="invoiceValue must be greater than 0"):
        VtexAdapter.check_transition(invoice_data(invoice), "open")


def test_anything_may_be_edited_before_vtex_holds_the_invoice(vtex_invoice):
    VtexAdapter.check_edit(invoice_data(vtex_invoice()), {"lines", "orders", "issue_date", "discount"})
    VtexAdapter.check_edit(invoice_data(vtex_invoice("void")), {"lines"})


def test_only_tracking_and_local_fields_may_change_once_vtex_holds_the_invoice(vtex_invoice):
    sent = invoice_data(vtex_invoice("open"))

    VtexAdapter.check_edit(sent, {"courier", "tracking_number", "tracking_url", "dispatched_at", "customer_email"})
    with pytest.raises(ProviderRuleError, match="discount, lines cannot change once the order is invoiced"):
        VtexAdapter.check_edit(sent, {"lines", "discount", "courier"})


def test_the_service_refuses_changing_the_lines_of_an_invoice_sent_to_vtex(vtex_invoice):
    invoice = vtex_invoice("open")

    with pytest.raises(ProviderRuleError):
        invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, lines=sale_lines(quantity="1"))
    invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, tracking_number="87658")

    invoice.refresh_from_db()
    assert (invoice.total, invoice.tracking_number) == (Decimal("20.0000"), "87658")


def test_sending_a_draft_is_delivered_and_voiding_one_is_not(vtex_invoice):
    sent, dropped = vtex_invoice(), vtex_invoice()

    invoice_transition(invoice_id=sent.pk, to_status="open", actor=SYSTEM, door=Door.ADMIN)
    invoice_transition(invoice_id=dropped.pk, to_status="void", actor=SYSTEM, door=Door.ADMIN)

    assert deliveries(sent) == [("push", "open")]
    assert deliveries(dropped) == []


def test_a_tracking_edit_of_a_sent_invoice_is_delivered_as_a_tracking_update(vtex_invoice):
    invoice = vtex_invoice("open")

    invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, courier="carrierOne")
    invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, tracking_number="87658")
    invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, customer_email="grace@example.com")

    # the courier alone waits for a tracking number; a local field has nothing to tell VTEX
    assert deliveries(invoice) == [("tracking", "")]


def test_edits_of_a_draft_are_not_delivered(vtex_invoice):
    invoice = vtex_invoice()

    invoice_update(invoice_id=invoice.pk, actor=SYSTEM, door=Door.ADMIN, tracking_number="87658")

    assert deliveries(invoice) == []
