"""Reprocessing failed and skipped webhook events, from the admin and with `manage.py reprocess_webhooks`."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from invoices.actors import Actor
from invoices.models import Door, Invoice, WebhookEvent, WebhookState
from invoices.services import invoice_update
from providers.kinds import ProviderKind
from providers.models import ProviderAccount
from providers.sandbox.webhooks import send_arcadier_invoice_paid, send_vtex_order_hook
from tests.factories import UserFactory, history_of, make_invoice

from .conftest import SECRET_HEADER, WEBHOOK_SECRET, events, refreshed

CHANGELIST = reverse("admin:invoices_webhookevent_changelist")
CONFIRM_TEMPLATE = "admin/invoices/webhookevent/confirm_reprocess.html"
ORDER = "1234567890123-01"


def logged_in(role: str) -> tuple[Client, Any]:
    user = UserFactory(role=role)
    client = Client()
    client.force_login(user)
    return client, user


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("reprocess_webhooks", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def failed_vtex_event(secret_account: Any, hook_url: Any) -> tuple[Invoice, WebhookEvent]:
    """VTEX says the order is invoiced, but our invoice has no lines yet: VTEX would refuse a 0 invoice, so the
    event fails until the lines are added."""
    account: ProviderAccount = secret_account(ProviderKind.VTEX)
    invoice = make_invoice(account=account, currency="BRL", lines=[], orders=[{"order_id": ORDER}])
    send_vtex_order_hook(hook_url(account), SECRET_HEADER, WEBHOOK_SECRET, ORDER, "invoiced")
    [event] = events()
    assert event.state == WebhookState.FAILED
    return invoice, event


def add_lines(invoice: Invoice) -> None:
    lines = [{"sku": "SKU-1", "description": "Widget", "quantity": Decimal("1"), "unit_price": Decimal("12.50")}]
    invoice_update(invoice_id=invoice.pk, actor=Actor.system("test"), door=Door.COMMAND, lines=lines)


@pytest.fixture
def skipped_arcadier_event(arcadier_invoice: Any, secret_account: Any, hook_url: Any) -> tuple[Any, WebhookEvent]:
    """Arcadier says invoice ARC-LATE was paid before we had it."""
    _, transaction = arcadier_invoice(remote_number="ARC-ELSEWHERE")
    account = secret_account(ProviderKind.ARCADIER)
    transaction = {**transaction, "InvoiceNo": "ARC-LATE"}
    send_arcadier_invoice_paid(hook_url(account), SECRET_HEADER, WEBHOOK_SECRET, transaction)
    event = events(account=account)[0]
    assert event.state == WebhookState.SKIPPED
    return (account, transaction), event


# --- the admin ---------------------------------------------------------------------------------------------------
def test_reprocessing_from_the_admin_asks_first_then_applies_the_event(failed_vtex_event: Any) -> None:
    invoice, event = failed_vtex_event
    add_lines(invoice)
    client, user = logged_in("operator")
    selected = {"action": "reprocess", "_selected_action": [event.pk]}

    asked = client.post(CHANGELIST, {**selected, "index": "0"})
    assert asked.status_code == 200
    assert CONFIRM_TEMPLATE in [t.name for t in asked.templates]
    assert refreshed(invoice).status == "draft"

    done = client.post(CHANGELIST, {**selected, "post": "yes"}, follow=True)

    assert done.status_code == 200
    event.refresh_from_db()
    assert (event.state, event.attempts) == (WebhookState.PROCESSED, 2)
    invoice = refreshed(invoice)
    assert invoice.status == "open"
    change = invoice.history.get(to_status="open")
    assert (change.door, change.actor_label) == (Door.WEBHOOK, "vtex webhook")
    assert change.reason.endswith(f"reprocessed by {user.username}")
    assert any(f"#{event.pk} processed" in str(m) for m in get_messages(done.wsgi_request))


def test_the_confirmation_names_events_that_will_be_left_alone(failed_vtex_event: Any, arcadier_invoice: Any) -> None:
    _, failed = failed_vtex_event
    client, _ = logged_in("operator")
    processed = WebhookEvent.objects.create(kind="vtex", valid=True, state=WebhookState.PROCESSED)
    invalid = WebhookEvent.objects.create(kind="vtex", valid=False, state=WebhookState.INVALID)

    asked = client.post(
        CHANGELIST, {"action": "reprocess", "_selected_action": [failed.pk, processed.pk, invalid.pk], "index": "0"}
    )

    page = asked.content.decode()
    assert "Yes, reprocess 1 event" in page
    assert "only failed, skipped or stalled events are reprocessed; this one is processed" in page
    assert "refused at the door (invalid)" in page


def test_a_viewer_may_not_reprocess(failed_vtex_event: Any) -> None:
    invoice, event = failed_vtex_event
    add_lines(invoice)
    client, _ = logged_in("viewer")

    response = client.post(CHANGELIST, {"action": "reprocess", "_selected_action": [event.pk], "post": "yes"})

    assert response.status_code == 403
    assert refreshed(invoice).status == "draft"
    event.refresh_from_db()
    assert event.state == WebhookState.FAILED


def test_the_event_page_shows_what_arrived_without_its_secrets(failed_vtex_event: Any) -> None:
    _, event = failed_vtex_event
    client, _ = logged_in("viewer")

    page = client.get(reverse("admin:invoices_webhookevent_change", args=[event.pk]))
    listing = client.get(CHANGELIST)

    assert page.status_code == listing.status_code == 200
    content = page.content.decode()
    assert "x-webhook-secret: ***" in content
    assert WEBHOOK_SECRET not in content
    assert ORDER in content


# --- the command -------------------------------------------------------------------------------------------------
def test_the_command_applies_an_event_skipped_before_its_invoice_existed(skipped_arcadier_event: Any) -> None:
    (account, transaction), event = skipped_arcadier_event
    orders = [
        {"order_id": o["ID"], "payee_ref": o["MerchantID"], "payer_ref": o["ConsumerID"]} for o in transaction["Orders"]
    ]
    invoice = make_invoice(account=account, status="open", currency="SGD", remote_number="ARC-LATE", orders=orders)

    out, _ = run("--state", "skipped", "--kind", "arcadier")

    assert "Reprocessed 1 webhook events: 1 processed, 0 skipped, 0 failed." in out
    assert refreshed(invoice).status == "paid"
    event.refresh_from_db()
    assert event.state == WebhookState.PROCESSED
    assert event.invoice_id == invoice.pk


def test_the_command_exits_1_naming_each_event_that_still_fails(failed_vtex_event: Any) -> None:
    _, event = failed_vtex_event

    with pytest.raises(CommandError) as excinfo:
        run("--state", "failed")

    assert excinfo.value.returncode == 1
    assert "0 processed, 0 skipped, 1 failed" in str(excinfo.value)
    event.refresh_from_db()
    assert (event.state, event.attempts) == (WebhookState.FAILED, 2)


def test_a_dry_run_lists_the_events_and_changes_nothing(failed_vtex_event: Any) -> None:
    invoice, event = failed_vtex_event
    add_lines(invoice)

    out, _ = run("--ids", str(event.pk), "--dry-run")

    assert f"#{event.pk} vtex invoiced" in out
    assert "Dry run: would reprocess 1 webhook events. Nothing was changed." in out
    assert refreshed(invoice).status == "draft"
    assert history_of(invoice) == [("", "draft")]


def test_reprocessing_a_duplicate_still_changes_nothing(failed_vtex_event: Any, hook_url: Any) -> None:
    invoice, failed = failed_vtex_event
    add_lines(invoice)
    run("--ids", str(failed.pk))
    # the same change delivered again, then skipped as a duplicate, then reprocessed
    duplicate = WebhookEvent.objects.create(
        kind=failed.kind,
        account=failed.account,
        event_id=failed.event_id,
        event_type=failed.event_type,
        body=failed.body,
        valid=True,
        state=WebhookState.SKIPPED,
    )

    out, _ = run("--ids", str(duplicate.pk))

    assert "0 processed, 1 skipped, 0 failed" in out
    duplicate.refresh_from_db()
    assert duplicate.outcome.startswith(f"Duplicate of #{failed.pk}")
    assert history_of(refreshed(invoice)) == [("", "draft"), ("draft", "open")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--state", "processed"),
            "Only failed, skipped and stalled received events can be reprocessed, not processed.",
        ),
        (("--kind", "modulus"), "No webhooks from modulus"),
        (("--ids", "seven"), "--ids takes webhook event ids (numbers), got seven."),
    ],
)
def test_bad_arguments_exit_2(db: None, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as excinfo:
        run(*args)

    assert excinfo.value.returncode == 2
    assert message in str(excinfo.value)
