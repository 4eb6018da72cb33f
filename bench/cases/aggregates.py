"""QueryDailyRunAggregates (the whole window, America/New_York) and
QueryAutomationRunAggregates through gRPC, against a plain GROUP BY over the
runs table run in-process (what a store without rollups would answer with)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import grpc

from bench.context import WORKSPACE, Bench, Case, Target
from bench.load import sequential_latency
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc


def gdate(d: date) -> Any:
    from google.type import date_pb2

    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    from sqlalchemy import create_engine

    url = target.database_url
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://")
        if url.startswith("postgresql")
        else url
    )
    try:
        await measure(bench, target, engine)
    finally:
        engine.dispose()


async def measure(bench: Bench, target: Target, engine: Any) -> None:
    today = bench.now.date()
    daily = run_service_pb2.QueryDailyRunAggregatesRequest(
        parent=WORKSPACE,
        start_date=gdate(today - timedelta(days=bench.size.days)),
        end_date=gdate(today),
        time_zone="America/New_York",
    )
    per_automation = run_service_pb2.QueryAutomationRunAggregatesRequest(
        parent=WORKSPACE, page_size=50
    )
    async with grpc.aio.insecure_channel(target.grpc) as ch:
        stub = run_service_pb2_grpc.RunServiceStub(ch)
        cases: list[tuple[str, Callable[[], Awaitable[Any]], str]] = [
            (
                f"QueryDailyRunAggregates, {bench.size.days + 1} days{target.label}",
                lambda: stub.QueryDailyRunAggregates(daily, timeout=60),
                "America/New_York, whole workspace",
            ),
            (
                f"QueryAutomationRunAggregates{target.label}",
                lambda: stub.QueryAutomationRunAggregates(per_automation, timeout=60),
                "all time, 12 automations",
            ),
        ]
        for name, call, note in cases:
            count, budget = bench.size.latency_count, bench.size.latency_budget_s
            med, p99, n = await sequential_latency(call, count=count, budget_s=budget)
            naive, _, _ = await sequential_latency(
                naive_aggregate(bench, engine, daily="Daily" in name), count=count, budget_s=budget
            )
            bench.add(
                Row(
                    name,
                    med,
                    naive,
                    "ms",
                    f"{note}; runyard p99 {p99:.1f} ms over {n} calls;"
                    " vs a plain GROUP BY over the runs table"
                    + (" (UTC days, " if "Daily" in name else " (")
                    + "in-process SQL, no RPC)",
                    {"p50_ms": med, "p99_ms": p99, "calls": n, "naive_ms": naive},
                )
            )


def naive_aggregate(bench: Bench, engine: Any, *, daily: bool) -> Callable[[], Awaitable[None]]:
    """What a runs table without rollups answers with: GROUP BY over the rows."""
    from sqlalchemy import text

    with engine.connect() as conn:
        ws = conn.execute(
            text("SELECT id FROM workspaces WHERE organization = 'bench' AND workspace = 'main'")
        ).scalar_one()
    lo = int((bench.now - timedelta(days=bench.size.days)).timestamp() * 1e6)
    sql = (
        "SELECT create_time / 86400000000 AS day, state, count(*), avg(duration),"
        " max(duration) FROM runs WHERE workspace_id = :ws AND create_time >= :lo"
        " GROUP BY create_time / 86400000000, state"
        if daily
        else "SELECT automation, state, count(*), avg(duration), max(create_time)"
        " FROM runs WHERE workspace_id = :ws GROUP BY automation, state"
    )

    async def call() -> None:
        with engine.connect() as conn:
            conn.execute(text(sql), {"ws": ws, "lo": lo}).all()

    return call


CASE = Case("aggregates", "aggregates", run, on=("sqlite", "postgresql"))
