"""B4 memory: the operator commands that walk every matching invoice, at two table sizes (10 000 and 100 000
invoices at full size): the peak resident memory of the command's process at the large size against the small
one. Each command runs as its own child process (`manage.py …`); its peak RSS and CPU time come from wait4(), so
they are that process's alone.

The invoices belong to one generic-API account. `push_invoices` checks each push (it builds the exact request)
and queues it, one transaction per invoice; `reconcile_invoices` reads each invoice back where the provider has a
read endpoint: the generic API has none, so every invoice is recorded as "cannot be read back" without a network
call, and the run measures the command's own walk over the rows and the items it writes.
"""

from __future__ import annotations

from pathlib import Path

from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice
from providers.kinds import ProviderKind

from .context import Context
from .data import bulk_invoices, make_account
from .procs import ROOT, CommandRun, run_command
from .report import Table

COMMANDS = {
    "push_invoices": ("push_invoices", "--provider", "{account}"),
    "reconcile_invoices": ("reconcile_invoices", "--provider", "{account}"),
}
# A command's expected exit codes: reconcile_invoices exits 1 when differences remain, and an invoice that cannot
# be read back counts as one.
EXPECTED = {"push_invoices": {0}, "reconcile_invoices": {0, 1}}
RSS_RATIO = 1.2


def run(ctx: Context) -> Table:
    size = ctx.size
    small, large = size.memory_small, size.memory_large
    account = make_account(ProviderKind.GENERIC, "http://127.0.0.1:9/sandbox/generic", name="bench-memory")
    env = {**ctx.env, "DELIVERY_KICK_ON_COMMIT": "false"}  # queue only: no broker message per push
    available = {name: _exists(name) for name in COMMANDS}
    runs: dict[int, dict[str, CommandRun]] = {}
    built = 0
    for rows in (small, large):
        ctx.say(f"B4: {rows - built} more invoices (table: {rows})")
        bulk_invoices(
            account,
            rows - built,
            prefix=f"B4-{built}",
            status=InvoiceStatus.OPEN,
            currency="USD",
            generic_ids=True,
            seed=built,
        )
        built = rows
        assert Invoice.objects.count() == rows
        runs[rows] = {}
        for name, args in COMMANDS.items():
            if not available[name]:
                continue
            ctx.say(f"B4: {name} over {rows} invoices")
            command = [arg.format(account=account.name) for arg in args]
            result = run_command(command, env, ctx.log_dir / f"b4-{name}-{rows}.log")
            if result.returncode not in EXPECTED[name]:
                raise RuntimeError(f"{name} exited {result.returncode}: {result.output_tail}")
            runs[rows][name] = result

    table = Table("B4", f"memory: operator commands over {small:,} and {large:,} invoices")
    table.columns = (f"{small:,} invoices", f"{large:,} invoices")
    for name in COMMANDS:
        if not available[name]:
            table.add(f"{name}: peak RSS", "pending (the command does not exist yet)")
            continue
        before, after = runs[small][name], runs[large][name]
        table.compare(
            f"{name}: peak RSS (MiB)",
            before.peak_rss_mib,
            after.peak_rss_mib,
            target=f"≤ {RSS_RATIO}",
            at_most=RSS_RATIO,
        )
        table.compare(f"{name}: wall time (s)", before.seconds, after.seconds)
        table.compare(f"{name}: CPU time (s)", before.cpu_seconds, after.cpu_seconds)
        table.add(
            f"{name}: invoices/s",
            large / after.seconds,
            baseline=small / before.seconds,
        )
    table.notes.append(
        "Peak RSS of the command's own process (wait4 rusage); the table grows from the small to the large size "
        f"between the two runs. {ctx.database}."
    )
    table.data["runs"] = {rows: {k: vars(v) for k, v in by.items()} for rows, by in runs.items()}
    return table


def _exists(command: str) -> bool:
    return any(Path(ROOT, app, "management", "commands", f"{command}.py").exists() for app in ("invoices", "providers"))
