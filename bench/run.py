"""The benchmark runner: `python -m bench [--size small|full] [--only B1 B3] [--json FILE]`.

Each benchmark runs in a child process on a database of its own (a fresh PostgreSQL database next to the one
DATABASE_URL names, or a fresh SQLite file when it is unset), builds its data, measures, and hands back a table:
the baseline measured in the same run, the measured value, their ratio and the target. The runner prints one
table per benchmark and a machine line, and with --json writes everything as data (the CI smoke test reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .procs import ROOT
from .report import Row, Table

KEYS = ("B1", "B2", "B3", "B4")
# Variables the test settings export to their children; a benchmark sets its own.
INHERITED_NOISE = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "EMAIL_URL",
    "LOG_LEVEL",
    "DELIVERY_KICK_ON_COMMIT",
    "CELERY_FILESYSTEM_DIR",
    "CELERY_TASK_ALWAYS_EAGER",
    "SANDBOX_FAULTS",
    "TEST_DB_SUFFIX",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "full"], default="small", help="full: the README's table.")
    parser.add_argument("--only", nargs="+", choices=KEYS, default=list(KEYS), help="Run only these benchmarks.")
    parser.add_argument("--json", type=Path, help="Also write the results as JSON to this file.")
    parser.add_argument(
        "--keep-db", action="store_true", help="Keep each benchmark's database and the logs (for a look after)."
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Override one size parameter, e.g. --set push_concurrency=32 (see bench/sizes.py).",
    )
    args = parser.parse_args(argv)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-", dir=_var_dir()))
    env = bench_env(log_dir)
    print(f"Machine: {machine_line()}", flush=True)
    print(f"Size: {args.size}; logs in {log_dir.relative_to(ROOT)} (kept if a benchmark fails)\n", flush=True)
    results: dict[str, Any] = {"size": args.size, "machine": machine_line(), "benchmarks": {}}
    failed = []
    for key in args.only:
        out = log_dir / f"{key}.json"
        started = time.perf_counter()
        command = [sys.executable, "-m", "bench.one", key, "--size", args.size, "--out", str(out)]
        command += ["--log-dir", str(log_dir)] + (["--keep-db"] if args.keep_db else [])
        command += [f"--set={item}" for item in args.set]
        code = subprocess.call(command, cwd=ROOT, env=env)
        if code != 0 or not out.exists():
            failed.append(key)
            print(f"{key}: FAILED (exit {code}); logs in {log_dir}\n", flush=True)
            continue
        result = json.loads(out.read_text())
        table = table_from(result["table"])
        results["database"] = result["database"]
        results["benchmarks"][key] = result
        print(table.render(), flush=True)
        took = time.perf_counter() - started
        print(f"\n({key} took {took:.0f} s on {result['database']}; load average {_load()})\n", flush=True)
    if "database" in results:
        results["machine"] = machine_line(results["database"])
        print(f"Machine: {results['machine']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if not failed and not args.keep_db:
        shutil.rmtree(log_dir, ignore_errors=True)
    return 1 if failed else 0


def _load() -> str:
    """The 1, 5 and 15 minute load averages: a benchmark shares the machine with whatever else runs on it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _var_dir() -> Path:
    path = ROOT / "var" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_env(log_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_NOISE}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "DELIVERY_KICK_ON_COMMIT": "true",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
            "PYTHONUNBUFFERED": "1",
            "BENCH_QUEUE": f"bench-{os.getpid()}",
        }
    )
    if not env.get("CELERY_BROKER_URL") or env["CELERY_BROKER_URL"] == "filesystem://":
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_FILESYSTEM_DIR"] = str(log_dir / "celery")
    return env


def table_from(data: dict[str, Any]) -> Table:
    rows = [Row(**row) for row in data["rows"]]
    return Table(**{**data, "columns": tuple(data["columns"]), "rows": rows})


def machine_line(database: str = "") -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [cpu, f"{os.cpu_count()} cores", f"{ram:.0f} GiB RAM", f"Python {platform.python_version()}"]
    if database:
        parts.append(database)
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
