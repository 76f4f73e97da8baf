"""How big each benchmark runs: `full` is the size the README's table comes from, `small` the CI smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    # B1 bulk push
    push_invoices: int
    push_concurrency: int
    push_latency_ms: int
    push_worker_processes: int
    # B2 mirror overhead
    mirror_requests: int  # sequential requests per endpoint, for p50/p99
    mirror_load_requests: int  # requests per endpoint under load, for requests/s
    mirror_load_concurrency: int
    # B3 scale
    scale_small: int
    scale_large: int
    scale_repeats: int
    # B4 memory
    memory_small: int
    memory_large: int


SIZES = {
    "full": Size(
        name="full",
        push_invoices=10_000,
        push_concurrency=16,
        push_latency_ms=50,
        push_worker_processes=2,
        mirror_requests=300,
        mirror_load_requests=400,
        mirror_load_concurrency=4,
        scale_small=1_000,
        scale_large=100_000,
        scale_repeats=15,
        memory_small=10_000,
        memory_large=100_000,
    ),
    "small": Size(
        name="small",
        push_invoices=60,
        push_concurrency=8,
        push_latency_ms=50,
        push_worker_processes=1,
        mirror_requests=10,
        mirror_load_requests=10,
        mirror_load_concurrency=2,
        scale_small=100,
        scale_large=1_000,
        scale_repeats=2,
        memory_small=50,
        memory_large=250,
    ),
}
