"""AppendRunEvents into a fresh SQLite database (the cached data set stays
unchanged): batches of 100 events per call against one event per call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf import struct_pb2

from bench import datagen, procs
from bench.context import PARENT, Bench, Case, Target, errs, lat
from bench.load import run_load
from bench.report import Row
from runyard.v1 import (
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
)


async def run(bench: Bench, target: Target | None) -> None:
    from runyard.store.sql import SqlStore

    url = f"sqlite:///{bench.workdir / 'ingest.db'}"
    store = SqlStore(url)
    try:
        datagen.generate(store, 0, 1)  # the workspace and its automations, no runs
    finally:
        store.close()
    server, grpc_port, _ = procs.runyard(url, bench.workdir, http=False, label="ingest")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            runs = run_service_pb2_grpc.RunServiceStub(ch)
            runner = runner_service_pb2_grpc.RunnerServiceStub(ch)
            names = []
            for i in range(16):
                created = await runs.CreateRun(
                    run_service_pb2.CreateRunRequest(
                        parent=PARENT, run=run_pb2.Run(caller="bench"), run_id=f"ingest-{i:02d}"
                    ),
                    timeout=30,
                )
                await runner.StartRun(
                    runner_service_pb2.StartRunRequest(name=created.name), timeout=30
                )
                names.append(created.name)
            results = {}
            for batch in (100, 1):
                entries = [
                    run_pb2.RunEvent.JournalEntry(
                        node_kind="FunctionCall",
                        node_id=f"step-{j}",
                        payload=struct_pb2.Struct(
                            fields={"rows": struct_pb2.Value(number_value=j)}
                        ),
                    )
                    for j in range(batch)
                ]
                turn = iter(range(10**9))

                async def call(entries: list[Any] = entries, turn: Iterator[int] = turn) -> None:
                    # Round-robin over runs: appends to one run serialize on its sequence.
                    name = names[next(turn) % len(names)]
                    await runner.AppendRunEvents(
                        runner_service_pb2.AppendRunEventsRequest(parent=name, entries=entries),
                        timeout=30,
                    )

                results[batch] = await run_load(
                    call,
                    concurrency=8,
                    duration_s=bench.size.ingest_s,
                    max_requests=bench.size.max_requests,
                    warmup_requests=2,
                )
        many, one = results[100], results[1]
        bench.add(
            Row(
                "Event ingestion (AppendRunEvents)",
                many.qps * 100,
                one.qps * 1,
                "events/s",
                f"batches of 100 vs 1 event per call, 8 callers over 16 runs, fresh SQLite;"
                f" {lat(many)} per batch" + errs(many, one),
                {"batch_100": many.as_dict(), "batch_1": one.as_dict()},
            )
        )
    finally:
        server.stop()


CASE = Case("ingestion", "event ingestion", run, on=("own",))
