"""Status changes through the admin: the bulk actions, the "Change status" button, their confirmation page."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from invoices.lifecycle import TRANSITIONS, InvoiceStatus
from invoices.models import Invoice, StatusChange
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:invoices_invoice_changelist")
TARGETS = [s for s in InvoiceStatus.values if s != InvoiceStatus.DRAFT]
PAIRS = list(itertools.product(InvoiceStatus.values, TARGETS))
ALLOWED = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


def generic_invoice(status: str = "draft", **fields: Any) -> Invoice:
    # The generic provider adds no rule of its own: only the lifecycle table decides.
    return make_invoice(account=ProviderAccountFactory(kind="generic"), status=status, **fields)


def logged_in(role: str | None = "operator", **user_fields: Any) -> tuple[Client, Any]:
    user = UserFactory(role=role, **user_fields)
    client = Client()
    client.force_login(user)
    return client, user


def ask(client: Client, to_status: str, invoices: list[Invoice]) -> Any:
    """The first step: pick the action on the changelist, which answers with the confirmation page."""
    data = {"action": f"mark_{to_status}", "_selected_action": [i.pk for i in invoices], "index": "0"}
    return client.post(CHANGELIST, data)


def confirm(client: Client, to_status: str, invoices: list[Invoice], reason: str = "month-end run") -> Any:
    data = {
        "action": f"mark_{to_status}",
        "_selected_action": [i.pk for i in invoices],
        "post": "yes",
        "to_status": to_status,
        "reason": reason,
    }
    return client.post(CHANGELIST, data)


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_the_action_first_shows_a_confirmation_page_listing_the_invoices_and_their_status() -> None:
    client, _ = logged_in()
    first, second = generic_invoice("open"), generic_invoice("void")

    response = ask(client, "paid", [first, second])

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "admin/invoices/invoice/confirm_status.html"
    html = response.content.decode()
    assert first.number in html
    assert second.number in html
    assert "Open (sent)" in html
    assert "Void" in html
    assert "Will be refused: Cannot change an invoice from &#x27;Void&#x27; to &#x27;Paid&#x27;" in html
    assert 'name="reason"' in html
    assert Invoice.objects.get(pk=first.pk).status == "open"  # nothing changes before the confirmation


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_move_is_made_with_its_history_and_a_success_message(from_status: str, to_status: str) -> None:
    # given
    client, user = logged_in()
    invoice = generic_invoice(from_status)

    # when
    response = confirm(client, to_status, [invoice], reason="customer paid by wire")

    # then
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == to_status
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert (change.actor_type, change.actor_user, change.actor_label) == ("user", user, user.username)
    assert change.door == "admin"
    assert change.reason == "customer paid by wire"
    label = InvoiceStatus(to_status).label
    assert messages_of(response) == [("success", f"Invoice {invoice.number}: now {label}.")]


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_every_forbidden_move_is_refused_with_a_message_naming_both_statuses(from_status: str, to_status: str) -> None:
    client, _ = logged_in()
    invoice = generic_invoice(from_status)
    history_before = StatusChange.objects.filter(invoice=invoice).count()

    response = confirm(client, to_status, [invoice])

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == from_status
    assert invoice.version == 1
    assert StatusChange.objects.filter(invoice=invoice).count() == history_before
    [(level, message)] = messages_of(response)
    assert level == "error"
    assert message.startswith(f"Invoice {invoice.number}: Cannot change an invoice from")
    assert f"'{InvoiceStatus(from_status).label}'" in message
    assert f"'{InvoiceStatus(to_status).label}'" in message


def test_there_is_no_action_to_send_an_invoice_back_to_draft() -> None:
    client, _ = logged_in()
    generic_invoice()

    response = client.get(CHANGELIST)

    actions = action_names(response)
    assert {f"mark_{s}" for s in TARGETS} <= set(actions)
    assert "mark_draft" not in actions


def test_a_mixed_selection_moves_the_legal_invoice_only_with_one_message_per_row() -> None:
    # given one invoice that may be paid and one that may not
    client, _ = logged_in()
    payable, voided = generic_invoice("open"), generic_invoice("void")

    # when
    response = confirm(client, "paid", [payable, voided])

    # then
    assert Invoice.objects.get(pk=payable.pk).status == "paid"
    assert Invoice.objects.get(pk=voided.pk).status == "void"
    messages = messages_of(response)
    successes = [m for level, m in messages if level == "success"]
    errors = [m for level, m in messages if level == "error"]
    assert successes == [f"Invoice {payable.number}: now Paid."]
    assert len(errors) == 1
    assert errors[0].startswith(f"Invoice {voided.number}: Cannot change an invoice from 'Void' to 'Paid'")
    assert ("info", "1 of 2 invoices changed to Paid; 1 refused.") in messages


def test_the_reason_is_required_and_nothing_changes_without_it() -> None:
    client, _ = logged_in()
    invoice = generic_invoice("open")

    response = confirm(client, "paid", [invoice], reason="   ")

    assert response.status_code == 200
    assert "reason is kept in each invoice" in response.content.decode()
    assert response.context["form"].errors["reason"]
    assert Invoice.objects.get(pk=invoice.pk).status == "open"


def test_the_change_status_button_leads_to_the_confirmation_page_for_that_invoice() -> None:
    client, user = logged_in()
    invoice = generic_invoice("open")
    change_url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
    status_url = reverse("admin:invoices_invoice_change_status", args=[invoice.pk])

    page = client.get(change_url)
    confirmation = client.get(status_url)
    response = client.post(status_url, {"to_status": "uncollectible", "reason": "customer unreachable"})

    assert status_url in page.content.decode()
    choices = [value for value, _ in confirmation.context["form"].fields["to_status"].choices]
    assert choices == ["paid", "uncollectible", "void"]  # exactly what the lifecycle allows from open
    assert response.status_code == 302
    assert response["Location"] == change_url
    invoice.refresh_from_db()
    assert invoice.status == "uncollectible"
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.actor_user, change.door, change.reason) == (user, "admin", "customer unreachable")
    assert messages_of(response) == [("success", f"Invoice {invoice.number}: now Uncollectible.")]


def test_the_button_page_refuses_a_move_the_lifecycle_does_not_offer() -> None:
    client, _ = logged_in()
    invoice = generic_invoice("paid")

    response = client.post(
        reverse("admin:invoices_invoice_change_status", args=[invoice.pk]),
        {"to_status": "void", "reason": "x"},
    )

    assert response.status_code == 200
    assert "to_status" in response.context["form"].errors
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_an_invoice_in_a_final_status_says_so_instead_of_offering_a_form() -> None:
    client, _ = logged_in()
    invoice = generic_invoice("void")

    response = client.get(reverse("admin:invoices_invoice_change_status", args=[invoice.pk]))

    assert response.status_code == 200
    assert "status is final" in response.content.decode()


def test_a_provider_rule_refusal_is_reported_per_row() -> None:
    # given a Rapyd invoice: Rapyd has no refunded state, though the lifecycle allows paid -> refunded
    client, _ = logged_in()
    invoice = make_invoice(account=ProviderAccountFactory(kind="rapyd"), status="paid")

    response = confirm(client, "refunded", [invoice])

    [(level, message)] = messages_of(response)
    assert level == "error"
    assert "'Paid'" in message
    assert "'Refunded'" in message
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


@pytest.mark.parametrize("role", ["viewer", None])
def test_without_the_permission_the_actions_and_the_page_are_refused(role: str | None) -> None:
    client, _ = logged_in(role)
    invoice = generic_invoice("open")
    if role:
        assert not [name for name in action_names(client.get(CHANGELIST)) if name.startswith("mark_")]

    confirm(client, "paid", [invoice])
    page = client.get(reverse("admin:invoices_invoice_change_status", args=[invoice.pk]))
    post = client.post(
        reverse("admin:invoices_invoice_change_status", args=[invoice.pk]),
        {"to_status": "paid", "reason": "x"},
    )

    assert page.status_code == 403
    assert post.status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == "open"
    assert not StatusChange.objects.filter(invoice=invoice, to_status="paid").exists()


def test_the_change_page_shows_no_status_button_to_a_viewer() -> None:
    client, _ = logged_in("viewer")
    invoice = generic_invoice("open")

    page = client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk]))

    assert page.status_code == 200
    assert reverse("admin:invoices_invoice_change_status", args=[invoice.pk]) not in page.content.decode()


def test_the_confirmation_is_refused_without_a_csrf_token() -> None:
    user = UserFactory(role="operator")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    invoice = generic_invoice("open")

    response = client.post(
        reverse("admin:invoices_invoice_change_status", args=[invoice.pk]),
        {"to_status": "paid", "reason": "x"},
    )

    assert response.status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == "open"
