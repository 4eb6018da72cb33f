"""Latency of the two aggregate queries on 1,000,000 runs over 90 days (SQLite).

Data comes from bench/datagen.py (SqlStore.import_runs, so the rollups are
kept exactly as the API keeps them), the same file `make bench` uses, or
from --database-url.
Each case runs the same store call the RPC makes, a bounded number of times,
and prints median and p95 in milliseconds.

    .venv/bin/python -m bench.aggregates_bench [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import datagen
from runyard.domain import aggregates as agg
from runyard.store.sql import SqlStore


def timed(label: str, fn: Callable[[], object], loops: int = 30, budget_s: float = 20.0) -> None:
    fn()  # warm the page cache
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < loops and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<58} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--database-url", help="an existing data set (e.g. the bench's PostgreSQL)")
    args = parser.parse_args()
    if args.database_url:
        url = args.database_url
    else:
        url = datagen.ensure(Path(f"bench/data/runs-{args.runs}.db"), args.runs, args.days)
    store = SqlStore(url)
    with store.engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM run_rollups LIMIT 1").first():
            print(f"rebuilt rollups from {store.rebuild_rollups():,} runs")
        rows = conn.exec_driver_sql("SELECT count(*) FROM run_rollups").scalar_one()
    print(f"{args.runs:,} runs over {args.days} days, {rows:,} rollup rows")
    ws = datagen.WORKSPACE
    today = datetime.now(UTC).date()
    first = today - timedelta(days=args.days)
    for zone in ("UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"):
        bounds = agg.day_bounds(first, today, ZoneInfo(zone))
        timed(
            f"daily, {args.days + 1} days, {zone}",
            lambda b=bounds: store.daily_run_aggregates(ws, b, ""),
        )
    bounds = agg.day_bounds(today - timedelta(days=366), today, ZoneInfo("Europe/London"))
    timed(  # type: ignore[misc]
        "daily, 367 days (max span), Europe/London",
        lambda: store.daily_run_aggregates(ws, bounds, ""),
    )
    now = int(time.time() * 1e6)
    timed(  # type: ignore[misc]
        "per automation, all time, page of 50",
        lambda: store.automation_run_aggregates(ws, None, None, "", "", 50),
    )
    for days in (1, 7, 90):
        lo = now - days * agg.DAY_US - 123_456_789  # not on any bucket edge
        timed(
            f"per automation, last {days} days (odd edges), page of 50",
            lambda lo=lo: store.automation_run_aggregates(ws, lo, now, "", "", 50),
        )
    store.close()


if __name__ == "__main__":
    main()
