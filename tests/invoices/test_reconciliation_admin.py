"""Reconciliations in the admin: runs and items readable by every role, fixes after a confirmation page with one
message per row, and "Reconcile with provider" on the invoice list, for those allowed to run reconciliations."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from invoices.actors import Actor
from invoices.models import Delivery, Door, Invoice, Reconciliation, ReconciliationItem, StatusChange
from invoices.models import ReconciliationResult as R
from invoices.reconciliation import Fix, reconcile_invoices
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice
from tests.invoices.test_reconciliation import rapyd_invoice, set_at_rapyd

INVOICES = reverse("admin:invoices_invoice_changelist")
RUNS = reverse("admin:invoices_reconciliation_changelist")
ITEMS = reverse("admin:invoices_reconciliationitem_changelist")
CONFIRM_TEMPLATE = "admin/invoices/reconciliation/confirm_fix.html"


def logged_in(role: str) -> tuple[Client, Any]:
    user = UserFactory(role=role)
    client = Client()
    client.force_login(user)
    return client, user


def messages_of(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def action_names(response: Any) -> list[str]:
    form = response.context["action_form"]
    return [value for value, _ in form.fields["action"].choices] if form else []


def on_items(client: Client, action: str, items: list[ReconciliationItem], *, confirm: bool = False) -> Any:
    data: dict[str, Any] = {"action": action, "_selected_action": [i.pk for i in items], "index": "0"}
    if confirm:
        data["post"] = "yes"
    return client.post(ITEMS, data)


def a_run(*invoices: Invoice) -> Reconciliation:
    return reconcile_invoices(invoice_ids=[i.pk for i in invoices], actor=Actor.system("test"), door=Door.COMMAND)


def test_viewers_read_runs_and_items_but_can_neither_run_nor_fix(sandbox_account: Any) -> None:
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="open", theirs="paid")
    run = a_run(invoice)
    item = run.items.get()
    client, _ = logged_in("viewer")

    runs = client.get(RUNS)
    page = client.get(reverse("admin:invoices_reconciliation_change", args=[run.pk]))
    items = client.get(ITEMS, {"run": run.pk})
    one = client.get(reverse("admin:invoices_reconciliationitem_change", args=[item.pk]))
    invoices = client.get(INVOICES)

    assert runs.status_code == page.status_code == items.status_code == one.status_code == 200
    assert item.detail in one.content.decode().replace("&#x27;", "'")
    assert f"#{run.pk}" in runs.content.decode()
    assert "Remote ahead" in page.content.decode()
    assert invoice.number in items.content.decode()
    assert "paid" in items.content.decode()  # the provider's own word
    assert action_names(items) == []
    assert "reconcile_with_provider" not in action_names(invoices)
    assert on_items(client, "adopt_remote", [item], confirm=True).status_code == 403
    assert (
        client.post(INVOICES, {"action": "reconcile_with_provider", "_selected_action": [invoice.pk]}).status_code
        == 403
    )
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_the_runs_list_shows_counts_linked_to_the_items(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    run = a_run(
        rapyd_invoice(account, ours="open", theirs="paid"),
        rapyd_invoice(account, ours="open", theirs="open"),
        rapyd_invoice(account, ours="open", theirs="open"),
    )
    client, _ = logged_in("viewer")

    html = client.get(RUNS).content.decode()

    assert f'href="{ITEMS}?run={run.pk}&amp;result=remote_ahead">1</a>' in html
    assert f'href="{ITEMS}?run={run.pk}&amp;result=in_sync">2</a>' in html
    assert f'href="{ITEMS}?run={run.pk}">3</a>' in html
    assert "1 difference(s)" in html
    filtered = client.get(ITEMS, {"run": run.pk, "result": R.IN_SYNC})
    assert filtered.context["cl"].result_count == 2


def test_reconcile_with_provider_runs_for_the_selected_invoices_and_opens_their_report(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    ahead = rapyd_invoice(account, ours="open", theirs="paid")
    fine = rapyd_invoice(account, ours="open", theirs="open")
    rapyd_invoice(account, ours="open", theirs="void")  # not selected
    client, user = logged_in("operator")

    response = client.post(INVOICES, {"action": "reconcile_with_provider", "_selected_action": [ahead.pk, fine.pk]})

    run = Reconciliation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{ITEMS}?run={run.pk}"
    assert (run.door, run.requested_by) == (Door.ADMIN, user.username)
    assert dict(run.items.values_list("invoice", "result")) == {ahead.pk: R.REMOTE_AHEAD, fine.pk: R.IN_SYNC}
    assert messages_of(response) == [("warning", f"Reconciliation #{run.pk}: 1 of 2 invoice(s) differ.")]


def test_a_selection_too_large_for_one_request_is_sent_to_the_command(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("invoices.admin.reconciliation.ADMIN_LIMIT", 2)
    account = ProviderAccountFactory(kind="modulus")
    invoices = [make_invoice(account=account) for _ in range(3)]
    client, _ = logged_in("operator")

    response = client.post(
        INVOICES, {"action": "reconcile_with_provider", "_selected_action": [i.pk for i in invoices]}, follow=True
    )

    assert not Reconciliation.objects.exists()
    assert messages_of(response) == [
        (
            "error",
            "3 invoices selected: the admin reconciles up to 2 at a time. Narrow the selection, or run "
            "manage.py reconcile_invoices.",
        )
    ]


def test_adopting_from_the_admin_asks_first_then_fixes_with_one_message_per_row(sandbox_account: Any) -> None:
    # given an invoice paid in Rapyd's dashboard, and a conflict beside it
    account = sandbox_account("rapyd")
    ahead = rapyd_invoice(account, ours="open", theirs="open")
    set_at_rapyd(ahead, "paid")
    clash = rapyd_invoice(account, ours="void", theirs="paid")
    run = a_run(ahead, clash)
    items = list(run.items.order_by("id"))
    client, user = logged_in("operator")

    # when the action is picked: the confirmation page, and nothing changed yet
    asked = on_items(client, "adopt_remote", items)
    assert asked.status_code == 200
    assert CONFIRM_TEMPLATE in [t.name for t in asked.templates]
    page = asked.content.decode()
    assert "Left as it is: the lifecycle cannot reach &#x27;Paid&#x27; from &#x27;Void&#x27;" in page
    assert "Yes, adopt the provider&#x27;s state for 1 invoice" in page
    ahead.refresh_from_db()
    assert ahead.status == "open"

    # when confirmed
    done = on_items(client, "adopt_remote", items, confirm=True)

    # then
    assert done.status_code == 302
    ahead.refresh_from_db()
    assert ahead.status == "paid"
    change = StatusChange.objects.filter(invoice=ahead).latest("id")
    assert (change.door, change.actor_user, change.to_status) == (Door.PROVIDER, user, "paid")
    assert messages_of(done) == [
        ("success", f"Invoice {ahead.number}: now 'Paid', as at {account.name} (through 'Paid')."),
        (
            "error",
            f"Invoice {clash.number}: not fixed: the lifecycle cannot reach 'Paid' from 'Void': settle this one "
            "by hand.",
        ),
        ("info", "1 of 2 items fixed; 1 left as they were."),
    ]
    assert not Delivery.objects.exists()
    fixed = ReconciliationItem.objects.get(invoice=ahead)
    assert (fixed.fix, fixed.fixed_by) == (Fix.ADOPT_REMOTE, user.username)
    listed = client.get(ITEMS, {"run": run.pk, "fixed": "yes"})
    assert listed.context["cl"].result_count == 1


def test_pushing_ours_again_from_the_admin_queues_a_delivery(sandbox_account: Any) -> None:
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="paid", theirs="open")
    item = a_run(invoice).items.get()
    client, user = logged_in("operator")

    asked = on_items(client, "push_local", [item])
    assert "Yes, push 1 invoice" in asked.content.decode()
    done = on_items(client, "push_local", [item], confirm=True)

    delivery = Delivery.objects.get()
    assert (delivery.invoice_id, delivery.to_status, delivery.requested_by) == (invoice.pk, "paid", user.username)
    assert messages_of(done) == [("success", f"Invoice {invoice.number}: push queued as delivery #{delivery.pk}.")]


def test_a_selection_nothing_applies_to_offers_only_the_way_back(sandbox_account: Any) -> None:
    invoice = make_invoice(account=sandbox_account("modulus"), status="open")
    item = a_run(invoice).items.get()
    client, _ = logged_in("operator")

    asked = on_items(client, "push_local", [item])

    page = asked.content.decode()
    assert "This item cannot be fixed this way as things stand." in page
    assert 'name="post"' not in page


def test_fixes_need_the_permission_of_what_they_write_as_well_as_reconciliation(sandbox_account: Any) -> None:
    from django.contrib.auth.models import Permission

    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="open", theirs="paid")
    item = a_run(invoice).items.get()
    user = UserFactory(role="viewer")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="invoices", codename="run_reconciliation"))
    client = Client()
    client.force_login(user)

    offered = action_names(client.get(ITEMS))
    on_items(client, "adopt_remote", [item], confirm=True)

    assert "adopt_remote" not in offered
    assert "push_local" not in offered
    assert Invoice.objects.get(pk=invoice.pk).status == "open"
    assert not StatusChange.objects.filter(invoice=invoice, to_status="paid").exists()


@pytest.mark.parametrize("run", ["99999999999999999999", "²", "-1"])
def test_a_run_id_that_is_no_id_lists_every_item(sandbox_account: Any, run: str) -> None:
    a_run(rapyd_invoice(sandbox_account("rapyd"), ours="open", theirs="paid"))
    client, _ = logged_in("viewer")

    response = client.get(ITEMS, {"run": run})

    assert response.status_code in (200, 302)
