"""Processes a benchmark starts: the sandbox (run_sandbox, threaded), Celery workers, management commands; and
what is read about them from the kernel (CPU time, peak memory)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, all its threads included."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    facts: dict[str, Any]
    log: IO[bytes]

    @property
    def root(self) -> str:
        return str(self.facts["generic"]["base_url"]).rsplit("/sandbox/", 1)[0]

    def base_url(self, kind: str) -> str:
        return str(self.facts[kind]["base_url"])

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)


def _stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def sandbox_server(env: dict[str, str], log_path: Path, *, faults: dict[str, Any] | None = None) -> Iterator[Server]:
    """`run_sandbox --port 0` in its own process (see bench/serve.py): the whole app, sandbox and API, behind
    Django's threaded server, one thread per connection."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed below
    child_env = {**env, "SANDBOX_FAULTS": json.dumps(faults or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.serve"],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"run_sandbox did not start; see {log_path}")
        yield Server(process, json.loads(line), log)
    finally:
        _stop(process)
        log.close()


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    probe_file: Path

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)


@contextmanager
def celery_workers(
    env: dict[str, str], log_dir: Path, *, processes: int, concurrency: int, beat: bool = True
) -> Iterator[list[Worker]]:
    """`celery worker --pool threads --concurrency N`, as the README runs it in production; the first process
    embeds beat, so the periodic relay (the safety net) runs as it does in production."""
    workers = []
    try:
        for index in range(processes):
            probe = log_dir / f"worker-{index}.json"
            probe.unlink(missing_ok=True)
            log = open(log_dir / f"worker-{index}.log", "ab")  # noqa: SIM115 - the process keeps it
            args = [sys.executable, "-m", "celery", "-A", "bench.worker", "worker", "--pool", "threads"]
            args += ["--concurrency", str(concurrency), "--hostname", f"bench{index}@%h", "--loglevel", "WARNING"]
            args += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
            if beat and index == 0:
                args += ["-B", "--scheduler", "celery.beat:PersistentScheduler"]
                args += ["--schedule-filename", str(log_dir / "beat-schedule")]
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env={**env, "BENCH_PROBE_FILE": str(probe)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            workers.append(Worker(process, probe))
        yield workers
    finally:
        for worker in workers:
            _stop(worker.process, timeout=60)


def probe(workers: list[Worker]) -> tuple[int, float] | None:
    """Queries the workers have run so far and when the last of them became ready, as their probes last wrote
    it; None while a probe is not up yet."""
    total, ready_at = 0, 0.0
    for worker in workers:
        try:
            data = json.loads(worker.probe_file.read_text())
        except (OSError, ValueError):
            return None
        total += int(data["queries"])
        ready_at = max(ready_at, float(data["ready_at"]))
    return total, ready_at


@dataclass(frozen=True)
class CommandRun:
    returncode: int
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float
    output_tail: str


def run_command(args: list[str], env: dict[str, str], log_path: Path) -> CommandRun:
    """Run `manage.py ARGS` to completion; its own peak RSS and CPU time come from wait4() (that child only)."""
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
    return CommandRun(
        returncode=process.returncode,
        seconds=seconds,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        output_tail="\n".join(tail),
    )


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
