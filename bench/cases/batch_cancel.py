"""BatchCancelRuns over many queued runs in a fresh SQLite database: how fast
the operation walks them at its highest rate cap, and what it does to the p99
of ListRuns served beside it (against the same load with no batch running)."""

from __future__ import annotations

import asyncio
import time

import grpc

from bench import datagen, procs
from bench.context import PARENT, Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import (
    operation_pb2,
    operation_pb2_grpc,
    run_batch_service_pb2,
    run_batch_service_pb2_grpc,
    run_service_pb2,
    run_service_pb2_grpc,
)

FULL_RUNS = 100_000
SMOKE_RUNS = 200
CHUNK = 5_000


def _seed(url: str, count: int) -> None:
    from runyard.domain import runs as machine
    from runyard.domain.timeline import Timeline
    from runyard.store.interface import ImportedRun
    from runyard.store.sql import SqlStore
    from runyard.v1 import run_pb2

    store = SqlStore(url)
    try:
        datagen.generate(store, 0, 1)  # the workspace and its automations, no runs
        automation = PARENT.rsplit("/", 1)[1]
        base = time.time_ns() // 1000 - count
        for start in range(0, count, CHUNK):
            batch = []
            for i in range(start, min(count, start + CHUNK)):
                line = Timeline.created(
                    run_pb2.Run(trigger=run_pb2.Run.SCHEDULE), machine.Actor("bench", base + i)
                )
                batch.append(ImportedRun(automation, f"q{i:07d}", line.run, line.events))
            store.import_runs(datagen.WORKSPACE, batch)
    finally:
        store.close()


async def run(bench: Bench, target: Target | None) -> None:
    count = SMOKE_RUNS if bench.args.smoke else FULL_RUNS
    url = f"sqlite:///{bench.workdir / 'batch.db'}"
    await asyncio.to_thread(_seed, url, count)
    server, grpc_port, _ = procs.runyard(url, bench.workdir, http=False, label="batch")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            runs = run_service_pb2_grpc.RunServiceStub(ch)
            ops = operation_pb2_grpc.OperationServiceStub(ch)
            batch = run_batch_service_pb2_grpc.RunBatchServiceStub(ch)
            listing = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=50)

            async def call() -> None:
                await runs.ListRuns(listing, timeout=30)

            async def load() -> LoadResult:
                return await run_load(
                    call,
                    concurrency=4,
                    duration_s=bench.size.load_s,
                    max_requests=bench.size.max_requests,
                    warmup_requests=2,
                )

            idle = await load()
            started = time.perf_counter()
            op = await batch.BatchCancelRuns(
                run_batch_service_pb2.BatchCancelRunsRequest(
                    parent=PARENT, reason="bench", max_runs_per_second=10_000
                ),
                timeout=30,
            )
            busy = await load()
            deadline = started + 1800
            while not op.done and time.perf_counter() < deadline:
                await asyncio.sleep(0.2)
                op = await ops.GetOperation(
                    operation_pb2.GetOperationRequest(name=op.name), timeout=30
                )
            took = time.perf_counter() - started
        done = op.response.done_count if op.done else op.metadata.done_count
        bench.add(
            Row(
                f"BatchCancelRuns of {count:,} queued runs",
                done / took if took else None,
                None,
                "runs/s",
                f"{done:,} cancelled in {took:.1f}s (done={op.done}), fresh SQLite, cap 10,000/s",
            )
        )
        bench.add(
            Row(
                "ListRuns p99 during a batch cancel vs idle",
                busy.p99_ms,
                idle.p99_ms,
                "ms",
                f"4 callers; during: {lat(busy)}; idle: {lat(idle)}" + errs(busy, idle),
                {"during": busy.as_dict(), "idle": idle.as_dict()},
            )
        )
    finally:
        server.stop()


CASE = Case("batch_cancel", "bulk cancel as an operation", run, on=("own",))
