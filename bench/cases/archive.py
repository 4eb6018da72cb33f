"""Retention's point: the cost of ListRuns is set by the current (hot) table,
not by how much history is archived beside it.

In a fresh SQLite database, three states of the same workspace, measured with
the same load of ListRuns of the busiest automation (the dashboard's filtered
page of 50 with its total, and a page filtered on a label with its total):

1. `none`: 30 days of current runs (the realistic mix of datagen), no archive;
2. `kept`: plus M runs that ended 31 to 120 days ago, all still current (what
   a workspace without retention has);
3. `archived`: the same M runs moved to the archive by ARCHIVE batches (the
   code the operation worker runs, driven here without its rate cap).

Rows: archived vs none (the archive beside the hot table should cost
nothing: ratio ≈ 1) and archived vs kept (what retention saves), plus the
archiving rate. All data goes through the run state machine (bench/datagen)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Iterator

import grpc

from bench import datagen, pgdata, procs
from bench.context import PARENT, Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc

# Runs to archive: the bench's run count (1,000,000 at full size, --runs N);
# current runs over 30 days: a tenth of that (at least 100).
SMOKE_RUNS = 500
# No index serves a label: its total counts every run of the automation.
LABEL_FILTER = 'labels.team = "billing"'
RETENTION_DAYS = 30
ARCHIVE_BATCH = 1_000
OWNER = "bench-archive"


def _seed_current(url: str, count: int) -> None:
    from runyard.store.sql import SqlStore

    store = SqlStore(url)
    try:
        datagen.generate(store, count, RETENTION_DAYS)
    finally:
        store.close()


def _seed_old(url: str, count: int) -> None:
    """`count` runs created 31 to 120 days ago, every one ended."""
    from runyard.store.interface import ImportedRun
    from runyard.store.sql import SqlStore

    rng = random.Random(5)
    now = time.time_ns() // 1000
    start = now - 120 * datagen.DAY_US
    span = (120 - RETENTION_DAYS - 1) * datagen.DAY_US
    store = SqlStore(url, migrate_schema=False)
    try:
        times = sorted(start + int(rng.random() * span) for _ in range(count))
        batch: list[ImportedRun] = []
        for i, created in enumerate(times):
            automation = rng.choices(datagen.AUTOMATIONS, datagen.WEIGHTS)[0]
            # "now" far ahead: the drawn duration always ends the run.
            run, events, paused = datagen._timeline(rng, created, now + 10**15)
            batch.append(ImportedRun(automation, f"old{i:09d}", run, events, paused))
            if len(batch) >= datagen.BATCH:
                store.import_runs(datagen.WORKSPACE, batch)
                batch = []
        if batch:
            store.import_runs(datagen.WORKSPACE, batch)
    finally:
        store.close()


def _archive(url: str) -> tuple[int, float]:
    """Archives every run past RETENTION_DAYS as one ARCHIVE operation, batch
    after batch; (runs archived, seconds)."""
    from runyard.jobs.retention import Start
    from runyard.store.sql import SqlStore
    from runyard.v1 import operation_pb2

    store = SqlStore(url, migrate_schema=False)
    try:
        now = time.time_ns() // 1000
        cutoff = now - RETENTION_DAYS * datagen.DAY_US
        op = Start(operation_pb2.OperationMetadata.ARCHIVE, datagen.WORKSPACE, cutoff, OWNER, now)
        start = time.perf_counter()
        created = op.create(store, "")
        op_id = store.claim_operation(OWNER, now, 60_000_000)
        assert op_id is not None, created.name
        while True:
            progress = store.advance_operation(
                op_id, OWNER, time.time_ns() // 1000, 60_000_000, _batch, _no_action
            )
            if progress is None or progress.done:
                break
        took = time.perf_counter() - start
        return (progress.metadata.done_count if progress else 0), took
    finally:
        store.close()


def _batch(op: object) -> int:
    return ARCHIVE_BATCH


def _no_action(op: object) -> object:
    raise AssertionError("an ARCHIVE operation applies no run action")


async def _measure(bench: Bench, port: int) -> dict[str, LoadResult]:
    out = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        runs = run_service_pb2_grpc.RunServiceStub(ch)
        queries = {
            "dashboard": run_service_pb2.ListRunsRequest(
                parent=PARENT, filter=bench.filter, page_size=50, show_total_size=True
            ),
            "label": run_service_pb2.ListRunsRequest(
                parent=PARENT, filter=LABEL_FILTER, page_size=50, show_total_size=True
            ),
        }
        for name, request in queries.items():

            async def call(request: run_service_pb2.ListRunsRequest = request) -> None:
                await runs.ListRuns(request, timeout=30)

            out[name] = await run_load(
                call,
                concurrency=1,
                duration_s=bench.size.load_s,
                max_requests=bench.size.max_requests,
                warmup_requests=20,
            )
    return out


def _analyze(url: str, *, vacuum: bool = False) -> None:
    """PostgreSQL: fresh statistics after a bulk change, and with `vacuum` the
    dead rows of the moved runs reclaimed (what autovacuum does on its own,
    later)."""
    if not url.startswith("postgresql"):
        return
    from runyard.store.sql import SqlStore

    store = SqlStore(url, migrate_schema=False)
    try:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if vacuum else "ANALYZE")
    finally:
        store.close()


@contextlib.contextmanager
def _fresh_database(url: str) -> Iterator[str]:
    """A new database on the cluster of `url`, dropped afterwards."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = f"archive_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


Loads = dict[str, LoadResult]


async def _states(bench: Bench, url: str, store: str) -> None:
    """The three states on the database at `url`, and their rows."""
    old = SMOKE_RUNS if bench.args.smoke else bench.size.runs
    await asyncio.to_thread(_seed_current, url, max(old // 10, 100))
    await asyncio.to_thread(_analyze, url)
    server, grpc_port, _ = procs.runyard(url, bench.workdir, http=False, label="archive")
    try:
        states = {"none": await _measure(bench, grpc_port)}
        await asyncio.to_thread(_seed_old, url, old)
        await asyncio.to_thread(_analyze, url)
        states["kept"] = await _measure(bench, grpc_port)
        archived_count, took = await asyncio.to_thread(_archive, url)
        await asyncio.to_thread(_analyze, url)
        states["archived"] = await _measure(bench, grpc_port)
        if store != "SQLite":
            # The moved runs' dead rows stay in the current table until a vacuum.
            states["unvacuumed"] = states["archived"]
            await asyncio.to_thread(_analyze, url, vacuum=True)
            states["archived"] = await _measure(bench, grpc_port)
    finally:
        server.stop()
    suffix = "" if store == "SQLite" else f" [{store}]"
    bench.add(
        Row(
            f"Archive {archived_count:,} ended runs (batches of {ARCHIVE_BATCH:,}){suffix}",
            archived_count / took if took else None,
            None,
            "runs/s",
            f"{archived_count:,} runs with their events in {took:.1f}s, fresh {store}, no rate cap",
        )
    )
    _rows(bench, states, f"{old:,}", suffix)


def _rows(bench: Bench, states: dict[str, Loads], old: str, suffix: str) -> None:
    """archived vs none and vs kept for each query (and vs unvacuumed, if measured)."""
    compared = [("none", "archived beside vs none"), ("kept", "archived vs kept current")]
    for query in ("dashboard", "label"):
        a = states["archived"][query]
        for key, what in compared:
            b = states[key][query]
            bench.add(
                Row(
                    f"ListRuns {query} page, {old} {what}{suffix}",
                    a.p50_ms,
                    b.p50_ms,
                    "ms",
                    f"archived: {lat(a)}; {key}: {lat(b)}" + errs(a, b),
                    {"archived": a.as_dict(), key: b.as_dict()},
                )
            )
    if "unvacuumed" in states:
        u, a = states["unvacuumed"]["label"], states["archived"]["label"]
        bench.add(
            Row(
                f"ListRuns label page, {old} just archived vs after VACUUM{suffix}",
                u.p50_ms,
                a.p50_ms,
                "ms",
                f"dead rows left by the move: {lat(u)}; vacuumed: {lat(a)}" + errs(u, a),
                {"unvacuumed": u.as_dict(), "vacuumed": a.as_dict()},
            )
        )


async def run(bench: Bench, target: Target | None) -> None:
    await _states(bench, f"sqlite:///{bench.workdir / 'archive.db'}", "SQLite")
    if bench.args.no_postgres:
        return
    with pgdata.postgres(bench.args.smoke) as pg:
        if pg is None:
            bench.skip("ListRuns beside an archive [PostgreSQL]", "no PostgreSQL")
            return
        with _fresh_database(pg) as url:
            await _states(bench, url, "PostgreSQL")


CASE = Case("archive", "ListRuns beside an archive (retention)", run, on=("own",))
