"""manage.py reconcile_invoices: a summary line per classification, the differences listed, --fix, and the exit
codes an operator's scripts rely on (0 in sync, 1 differences or failed fixes, 2 bad arguments)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from invoices.models import Delivery, Door, Reconciliation, StatusChange
from invoices.reconciliation import Fix
from tests.factories import ProviderAccountFactory, make_invoice
from tests.invoices.test_reconciliation import rapyd_invoice, rapyd_status, relay_until_idle, set_at_rapyd

ROOT = Path(__file__).resolve().parents[2]


def reconcile(*args: str) -> tuple[int, str, str]:
    """Run the command; answer its exit code, stdout and stderr."""
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile_invoices", *args, stdout=out, stderr=err, no_color=True)
    except CommandError as exc:
        err.write(str(exc))
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_everything_in_sync_exits_zero_with_a_summary_line_per_classification(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    rapyd_invoice(account, ours="open", theirs="open")
    rapyd_invoice(account, ours="draft", theirs=None)

    code, out, _ = reconcile("--provider", "rapyd")

    assert code == 0
    run = Reconciliation.objects.get()
    assert out.splitlines() == [
        f"Reconciliation #{run.pk}: 2 invoice(s) compared.",
        "  In sync: 2",
        "  Remote ahead: 0",
        "  Local ahead: 0",
        "  Missing remotely: 0",
        "  Conflict: 0",
        "  Cannot be read back: 0",
        "Everything is in sync.",
    ]
    assert (run.door, run.requested_by, run.provider) == (Door.COMMAND, "reconcile_invoices", "rapyd")


def test_differences_exit_one_and_each_is_named(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    ahead = rapyd_invoice(account, ours="open", theirs="paid")
    behind = rapyd_invoice(account, ours="paid", theirs="open")
    clash = rapyd_invoice(account, ours="void", theirs="paid")

    code, out, err = reconcile("--ids", f"{ahead.pk},{behind.pk}", str(clash.pk))

    assert code == 1
    assert "  Remote ahead: 1\n  Local ahead: 1\n  Missing remotely: 0\n  Conflict: 1\n" in out
    assert f"{ahead.number} ({account.name}): remote ahead: {account.name} has moved on to 'Paid' (paid)" in out
    assert f"{behind.number} ({account.name}): local ahead: " in out
    assert f"{clash.number} ({account.name}): conflict: " in out
    run = Reconciliation.objects.get()
    assert f"3 difference(s) left; see reconciliation #{run.pk} in the admin." in err


def test_fix_adopt_remote_brings_the_invoice_to_the_provider_status_and_exits_zero(sandbox_account: Any) -> None:
    # given an open invoice that was paid in Rapyd's dashboard
    account = sandbox_account("rapyd")
    invoice = rapyd_invoice(account, ours="open", theirs="open")
    set_at_rapyd(invoice, "paid")

    # when
    code, out, _ = reconcile("--provider", account.name, "--fix", "adopt-remote", "-v", "2")

    # then
    assert code == 0
    assert f"{invoice.number}: now 'Paid', as at {account.name}" in out
    assert "Adopt the remote state: 1 fixed, 0 refused." in out
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    change = StatusChange.objects.filter(invoice=invoice).latest("id")
    assert (change.from_status, change.to_status, change.door, change.actor_label) == (
        "open",
        "paid",
        Door.PROVIDER,
        "reconcile_invoices",
    )
    assert change.reason.startswith(f"Adopted from {account.name} (paid) by reconciliation #")
    assert not Delivery.objects.exists()


def test_fix_push_local_queues_a_push_for_what_the_provider_lacks_or_is_behind_on(sandbox_account: Any) -> None:
    account = sandbox_account("rapyd")
    behind = rapyd_invoice(account, ours="paid", theirs="open")
    ahead = rapyd_invoice(account, ours="open", theirs="paid")

    code, out, err = reconcile("--provider", "rapyd", "--fix", "push-local")

    assert code == 1  # the remote-ahead one is still different: push does not answer it
    assert "Push ours again: 1 fixed, 0 refused." in out
    assert "1 difference(s) left" in err
    assert list(Delivery.objects.values_list("invoice", flat=True)) == [behind.pk]
    relay_until_idle()
    assert rapyd_status(behind) == "paid"
    assert rapyd_status(ahead) == "paid"
    item = Reconciliation.objects.get().items.get(invoice=behind)
    assert item.fix == Fix.PUSH_LOCAL


def test_a_fix_the_provider_refuses_fails_the_run(sandbox_account: Any) -> None:
    # A payout invoice cannot be adopted as paid (a Rapyd rule): the fix fails, loudly.
    invoice = rapyd_invoice(sandbox_account("rapyd"), ours="open", theirs="paid", provider_fields={"type": "payout"})

    code, out, err = reconcile("--ids", str(invoice.pk), "--fix", "adopt-remote")

    assert code == 1
    assert f"{invoice.number}: not fixed: " in err
    assert "Rapyd pays only payment invoices" in err
    assert "Adopt the remote state: 0 fixed, 1 refused." in out


def test_unreadable_invoices_are_differences_too(db: None) -> None:
    make_invoice(account=ProviderAccountFactory(kind="modulus"), status="open")

    code, out, _ = reconcile("--provider", "modulus")

    assert code == 1
    assert "  Cannot be read back: 1" in out
    assert "cannot be read back: modulus has no endpoint to read an invoice back." in out


def test_a_progress_bar_is_drawn_for_longer_runs(db: None) -> None:
    account = ProviderAccountFactory(kind="generic")
    for _ in range(20):
        make_invoice(account=account)

    _, _, err = reconcile("--provider", account.name, "-v", "0")

    assert f"[{'#' * 30}] 20/20" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since takes a date as YYYY-MM-DD, got 'yesterday'."),
        (["--since", "2026-02-30"], "--since takes a date as YYYY-MM-DD, got '2026-02-30'."),
        (["--fix", "both"], "--fix takes adopt-remote or push-local, got 'both'."),
        (["--ids", "12", "x"], "--ids takes invoice ids (numbers), got 12 x."),
        (["--ids", "999999"], "No invoice with id 999999."),
        (["--provider", "nowhere"], "No provider account or kind named 'nowhere'."),
    ],
)
def test_bad_arguments_exit_two_and_run_nothing(db: None, args: list[str], message: str) -> None:
    code, _, err = reconcile(*args)

    assert code == 2
    assert message in err
    assert not Reconciliation.objects.exists()


def test_help_explains_the_classifications_and_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "reconcile_invoices", "--help"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.test_settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "remote ahead, local ahead, missing remotely, conflict" in text
    assert "--fix {adopt-remote,push-local}" in text
    assert "0 all in sync (or fixed), 1 differences remain or a fix failed" in text
    assert "counts as a difference), 2 bad arguments" in text


def test_a_real_process_exits_two_on_a_bad_fix() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "reconcile_invoices", "--fix", "everything"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.test_settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "--fix takes adopt-remote or push-local, got 'everything'." in result.stderr
