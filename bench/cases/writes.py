"""Writes through the public gRPC API into a fresh SQLite database, against the
same disk's single-row commit rate measured in the same run (sqlite3, WAL,
synchronous=FULL, one INSERT per transaction): CreateRun alone, and full
lifecycles (CreateRun, StartRun, one journal event, CompleteRun) with 16
callers. The ratio says how far the write path is from the disk's bound.
A third row puts the lifecycles beside a bare grpc.aio server answering the
same four calls with runyard's own replies, prebuilt: the most lifecycles per
second a Python gRPC server and this load generator reach on this machine.
It also gives each server's CPU per lifecycle and how busy the machine's
cores were meanwhile: a server bound by its event loop leaves cores idle.
The same on a fresh PostgreSQL database beside the bench's data set (unless
--no-postgres), against its single-row commit rate (psycopg, one INSERT per
transaction)."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf import struct_pb2
from google.protobuf.message import Message

from bench import bare_server, datagen, proc_stats, procs
from bench.context import PARENT, Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import (
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
)

CALLERS = 16


@dataclass(frozen=True)
class Metered:
    """A load run with the server's CPU per completed call (a lifecycle counts
    as one) and the share of the machine's cores busy meanwhile (all
    processes: the server, the load generator, PostgreSQL)."""

    result: LoadResult
    server_cpu_ms: float
    machine_busy: float

    def note(self) -> str:
        return (
            f"server CPU {self.server_cpu_ms:.2f} ms per lifecycle,"
            f" machine {self.machine_busy:.0%} busy"
        )


async def metered(server_pid: int, load: Awaitable[LoadResult]) -> Metered:
    """Await `load` (not started yet) and read /proc around it (zeros elsewhere)."""
    cpu0, busy0 = proc_stats.cpu_seconds(server_pid), proc_stats.machine_busy_seconds()
    start = time.perf_counter()
    result = await load
    wall = time.perf_counter() - start
    cpu = proc_stats.cpu_seconds(server_pid) - cpu0
    busy = proc_stats.machine_busy_seconds() - busy0
    return Metered(
        result,
        cpu * 1e3 / result.requests if result.requests else 0.0,
        busy / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0,
    )


def commit_rate(path: Path, seconds: float, max_rows: int = 20_000) -> float:
    """Single-row transactions per second on this disk, as SQLite commits them."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        body = b"x" * 600  # about a run's stored size
        n, start = 0, time.perf_counter()
        deadline = start + seconds
        while n < max_rows and time.perf_counter() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", (body,))
            conn.execute("COMMIT")
            n += 1
        return n / (time.perf_counter() - start)
    finally:
        conn.close()


def pg_commit_rate(url: str, seconds: float, max_rows: int = 20_000) -> float:
    """Single-row transactions per second on this PostgreSQL (synchronous_commit on)."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE commit_rate (id bigserial PRIMARY KEY, body bytea)")
        conn.commit()
        body = b"x" * 600
        n, start = 0, time.perf_counter()
        deadline = start + seconds
        while n < max_rows and time.perf_counter() < deadline:
            conn.execute("INSERT INTO commit_rate (body) VALUES (%s)", (body,))
            conn.commit()
            n += 1
        return n / (time.perf_counter() - start)


@contextlib.contextmanager
def fresh_pg_database(beside: str) -> Iterator[str]:
    """A new database on the cluster of `beside` (whose user may create one)."""
    import psycopg

    admin_url = beside
    name = f"writes_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settle_statistics(url: str) -> None:
    """PostgreSQL: the planner statistics a database in service has. Measured
    on a fresh database, the lifecycles would meet tables PostgreSQL has not
    analyzed yet (autovacuum does within a minute of their first rows), whose
    lookups by run name then walk every run of the workspace through another
    index: ~2-5 ms each at a few thousand runs (docs/performance.md)."""
    if not url.startswith("postgresql"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


async def measure(bench: Bench, url: str, disk: float, store_name: str) -> None:
    """CreateRun alone, then lifecycles, through one runyard on `url` (made fresh)."""
    from runyard.store.sql import SqlStore

    store = SqlStore(url)
    try:
        datagen.generate(store, 0, 1)  # the workspace and its automations, no runs
    finally:
        store.close()
    seconds = bench.size.ingest_s
    server, grpc_port, _ = procs.runyard(url, bench.workdir, http=False, label="writes")
    ids = itertools.count()
    cap = bench.size.max_requests
    replies: dict[str, bytes] = {}
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
            create_only, lifecycle = _calls(ch, ids, replies)
            created = await run_load(
                create_only, concurrency=CALLERS, duration_s=seconds, max_requests=cap
            )
            settle_statistics(url)
            full_run = await metered(
                server.pid,
                run_load(lifecycle, concurrency=CALLERS, duration_s=seconds, max_requests=cap),
            )
    finally:
        server.stop()
    bare = await _bare_lifecycles(bench, replies, ids)
    full, ceiling = full_run.result, bare.result
    prefix = "" if store_name == "SQLite" else f"{store_name}: "
    for what, result in (("CreateRun", created), ("run lifecycles", full)):
        bench.add(
            Row(
                f"{prefix}Writes: {what}, {CALLERS} callers",
                result.qps,
                disk,
                "runs/s",
                f"gRPC into a fresh {store_name} vs single-row {store_name} commits/s on the"
                f" same disk; {lat(result)} per"
                f" {'call' if what == 'CreateRun' else 'lifecycle (4 calls)'}" + errs(result),
                {"result": result.as_dict(), "disk_commits_per_s": disk},
            )
        )
    bench.add(
        Row(
            f"{prefix}Writes: run lifecycles, {CALLERS} callers, vs bare grpc.aio",
            full.qps,
            ceiling.qps,
            "runs/s",
            f"the same four calls answered by a bare grpc.aio server with runyard's replies "
            f"prebuilt; bare {lat(ceiling)} per lifecycle; runyard {full_run.note()};"
            f" bare {bare.note()}" + errs(full, ceiling),
            {
                "result": full.as_dict(),
                "bare": ceiling.as_dict(),
                "server_cpu_ms": full_run.server_cpu_ms,
                "bare_server_cpu_ms": bare.server_cpu_ms,
                "machine_busy": full_run.machine_busy,
                "bare_machine_busy": bare.machine_busy,
            },
        )
    )


Calls = tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]


def _calls(ch: grpc.aio.Channel, ids: Iterator[int], replies: dict[str, bytes]) -> Calls:
    """CreateRun alone and a whole lifecycle on `ch`; the first reply of each
    method is kept in `replies` (for the bare server)."""
    runs = run_service_pb2_grpc.RunServiceStub(ch)
    runner = runner_service_pb2_grpc.RunnerServiceStub(ch)
    entry = run_pb2.RunEvent.JournalEntry(
        node_kind="FunctionCall",
        node_id="step-1",
        payload=struct_pb2.Struct(fields={"rows": struct_pb2.Value(number_value=1)}),
    )

    def keep(method: str, reply: Message) -> None:
        if method not in replies:
            replies[method] = reply.SerializeToString()

    async def create() -> str:
        created = await runs.CreateRun(
            run_service_pb2.CreateRunRequest(
                parent=PARENT, run=run_pb2.Run(caller="bench"), run_id=f"w{next(ids)}"
            ),
            timeout=30,
        )
        keep("runyard.v1.RunService/CreateRun", created)
        return created.name

    async def create_only() -> None:
        await create()

    async def lifecycle() -> None:
        name = await create()
        started = await runner.StartRun(runner_service_pb2.StartRunRequest(name=name), timeout=30)
        keep(f"{RUNNER}/StartRun", started)
        appended = await runner.AppendRunEvents(
            runner_service_pb2.AppendRunEventsRequest(parent=name, entries=[entry]), timeout=30
        )
        keep(f"{RUNNER}/AppendRunEvents", appended)
        done = await runner.CompleteRun(
            runner_service_pb2.CompleteRunRequest(name=name, succeeded=True), timeout=30
        )
        keep(f"{RUNNER}/CompleteRun", done)

    return create_only, lifecycle


RUNNER = "runyard.v1.RunnerService"


async def _bare_lifecycles(bench: Bench, replies: dict[str, bytes], ids: Iterator[int]) -> Metered:
    """Lifecycles against a bare grpc.aio server replying with `replies`."""
    argv = [sys.executable, "-m", bare_server.__name__, "--max-seconds", "1800"]
    for i, (method, body) in enumerate(sorted(replies.items())):
        path = bench.workdir / f"reply-{i}.binpb"
        path.write_bytes(body)
        argv.append(f"--reply={method}={path}")
    port = procs.free_port()
    bare = procs.Child(
        "bare grpc server", [*argv, "--port", str(port)], bench.workdir / f"bare-{port}.log"
    ).start()
    try:
        bare.wait_until(lambda: procs.grpc_serving(f"127.0.0.1:{port}"), timeout=30)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
            _, lifecycle = _calls(ch, ids, {})
            return await metered(
                bare.pid,
                run_load(
                    lifecycle,
                    concurrency=CALLERS,
                    duration_s=bench.size.ingest_s,
                    max_requests=bench.size.max_requests,
                ),
            )
    finally:
        bare.stop()


async def run(bench: Bench, target: Target | None) -> None:
    seconds = bench.size.ingest_s
    if target is None:
        disk = commit_rate(bench.workdir / "commit-rate.db", seconds)
        await measure(bench, f"sqlite:///{bench.workdir / 'writes.db'}", disk, "SQLite")
        return
    # PostgreSQL: a fresh database beside the bench's data set, dropped afterwards.
    with fresh_pg_database(target.database_url) as url:
        disk = pg_commit_rate(url, seconds)
        await measure(bench, url, disk, "PostgreSQL")


CASE = Case("writes", "writes (CreateRun, run lifecycles)", run, on=("own", "postgresql"))
