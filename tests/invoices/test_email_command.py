from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from invoices.models import Door, EmailState, InvoiceEmail
from tests.factories import ProviderAccountFactory, make_invoice

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("send_invoice_emails", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def invoices() -> dict[str, Any]:
    acme = ProviderAccountFactory(kind="generic", name="acme-generic")
    other = ProviderAccountFactory(kind="generic", name="other-generic")
    return {
        "acme_open": make_invoice(account=acme, status="open"),
        "acme_paid": make_invoice(account=acme, status="paid"),
        "other_open": make_invoice(account=other, status="open"),
        "other_draft": make_invoice(account=other, status="draft"),
    }


def emailed() -> set[int]:
    return set(InvoiceEmail.objects.values_list("invoice_id", flat=True))


def test_the_command_queues_one_email_per_invoice_matching_the_filters(invoices: dict[str, Any]) -> None:
    out, _ = run("--status", "open", "paid", "--provider", "acme-generic")

    assert emailed() == {invoices["acme_open"].pk, invoices["acme_paid"].pk}
    assert "Queued 2 of 2 invoice email(s); 0 could not be queued." in out
    email = InvoiceEmail.objects.first()
    assert email is not None
    assert (email.state, email.door, email.requested_by) == (EmailState.QUEUED, Door.COMMAND, "command")


def test_the_command_filters_by_ids_and_by_provider_kind(invoices: dict[str, Any]) -> None:
    picked = [invoices["other_open"].pk, invoices["other_draft"].pk]

    run("--ids", ",".join(map(str, picked)), "--provider", "generic")

    assert emailed() == set(picked)


def test_a_dry_run_lists_the_invoices_and_queues_nothing(invoices: dict[str, Any]) -> None:
    out, _ = run("--status", "open", "--dry-run")

    assert invoices["acme_open"].number in out
    assert invoices["other_open"].number in out
    assert invoices["acme_paid"].number not in out
    assert "Dry run: would queue 2 of 2" in out
    assert InvoiceEmail.objects.count() == 0


def test_an_invoice_that_cannot_be_emailed_makes_the_command_exit_1_after_queueing_the_others() -> None:
    account = ProviderAccountFactory(kind="generic")
    good = make_invoice(account=account, status="open")
    bad = make_invoice(account=account, status="open", customer_email="")
    err = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("send_invoice_emails", "--status", "open", stdout=io.StringIO(), stderr=err)

    assert excinfo.value.returncode == 1
    assert "Queued 1 of 2 invoice email(s); 1 could not be queued." in str(excinfo.value)
    assert f"{bad.number}: Invoice {bad.number} has no customer email address" in err.getvalue()
    assert emailed() == {good.pk}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give at least one filter"),
        (("--status", "sent"), "Unknown status sent"),
        (("--provider", "nobody"), "No provider account or kind named nobody"),
        (("--ids", "12x"), "--ids takes invoice ids"),
        (("--ids", "999999"), "No invoice with id 999999"),
    ],
)
def test_bad_arguments_exit_2_and_queue_nothing(invoices: dict[str, Any], args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message) as excinfo:
        run(*args)

    assert excinfo.value.returncode == 2
    assert InvoiceEmail.objects.count() == 0


def test_a_long_run_shows_progress_on_stderr() -> None:
    account = ProviderAccountFactory(kind="generic", name="bulk")
    for _ in range(20):
        make_invoice(account=account, status="open")

    out, err = run("--provider", "bulk")

    assert "Queued 20 of 20" in out
    progress = err.splitlines()
    assert progress[0] == f"[{'#' * 3}{'.' * 27}] 2/20"
    assert progress[-1] == f"[{'#' * 30}] 20/20"
    assert len(progress) == 10
