"""Bounded closed-loop load: N workers call one coroutine back to back.

Every run stops at whichever comes first: the duration cap or the request cap.
Latencies are kept per call, so the result gives QPS and p50/p99 of the same
requests. Errors are counted, not retried, and never hidden: a row with errors
says so.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

Call = Callable[[], Awaitable[Any]]


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    qps: float
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted samples (0 when empty)."""
    if not samples:
        return 0.0
    rank = max(0, min(len(samples) - 1, round(q / 100 * len(samples) + 0.5) - 1))
    return samples[rank]


async def run_load(
    call: Call,
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    warmup_requests: int = 5,
) -> LoadResult:
    """Closed-loop load with `concurrency` workers, capped in time and in count."""
    for _ in range(warmup_requests):
        await call()
    latencies: list[float] = []
    errors = 0
    first_error = ""
    issued = 0
    start = time.perf_counter()
    deadline = start + duration_s

    async def worker() -> None:
        nonlocal issued, errors, first_error
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1  # single-threaded loop: no lock needed between awaits
            t0 = time.perf_counter()
            try:
                await call()
            except Exception as exc:  # a failed call is data, not a crash of the bench
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"[:300]
                continue
            latencies.append(time.perf_counter() - t0)

    # A hard timeout on top of the loop's own checks: one stuck call cannot hang us.
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration_s + 30)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        first_error = first_error or "load run exceeded its time cap"
    elapsed = time.perf_counter() - start
    latencies.sort()
    return LoadResult(
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        qps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 50) * 1e3,
        p99_ms=percentile(latencies, 99) * 1e3,
        first_error=first_error,
    )


async def sequential_latency(
    call: Call, *, count: int, budget_s: float, warmup: int = 2
) -> tuple[float, float, int]:
    """(median ms, p99 ms, samples) of one caller, capped in count and time."""
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < count and (time.perf_counter() < deadline or len(samples) < 3):
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples) * 1e3, percentile(samples, 99) * 1e3, len(samples)
