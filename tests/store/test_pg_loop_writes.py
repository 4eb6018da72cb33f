"""PostgreSQL writes on the event loop (runyard.store.pg_loop_writes): run
changes written concurrently there are numbered and rolled up as on threads,
errors reach their callers as on threads, a write outlives a caller that went
away, and a lost connection fails one write retryably."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import grpc
import psycopg
import pytest

from runyard.aip.errors import ApiError
from runyard.domain import runs as machine
from runyard.domain.runs import Actor
from runyard.store import rollups
from runyard.store.pg_loop_writes import PgLoopWrites
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.store.statements import Sql
from runyard.v1 import automation_pb2, workspace_pb2
from runyard.v1.run_pb2 import Run

WS = WorkspaceRef("acme", "data")
AUTO = AutomationRef(WS, "nightly")
ROLLUP_KEY = ("workspace_id", "level", "automation", "bucket_start", "state", "trigger")
ROLLED = Sql(f"SELECT * FROM run_rollups WHERE run_count != 0 ORDER BY {', '.join(ROLLUP_KEY)}")
SEQS = Sql("SELECT seq FROM run_changes ORDER BY id")
WAITING = Sql("SELECT count(*) FROM run_changes WHERE seq IS NULL")


def now_us() -> int:
    return time.time_ns() // 1000


def apply(action: machine.Action) -> Any:
    return lambda run, paused_from: machine.transition(
        run, paused_from, action, Actor("t", now_us())
    )


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's loop writes are runyard.store.loop_writes")
    made = SqlStore(database_url)
    made.create_workspace(WS, workspace_pb2.Workspace(display_name="Data"), "")
    made.create_automation(AUTO, automation_pb2.Automation(display_name="N"), "")
    try:
        yield made
    finally:
        made.close()


def _writes(store: SqlStore) -> PgLoopWrites:
    writes = store.loop_writes
    assert isinstance(writes, PgLoopWrites)
    return writes


async def _create(writes: PgLoopWrites, store: SqlStore, name: str, key: str = "") -> Run:
    run, change = machine.new_run(Run(caller="t"), Actor("t", now_us()))
    writes.serves(asyncio.get_running_loop())
    created: Run = await writes.run(store.create_run, RunRef(AUTO, name), run, change, key)
    return created


def test_concurrent_lifecycles_are_numbered_and_rolled_up(store: SqlStore) -> None:
    writes = _writes(store)

    answered = 0
    numbered = Sql("SELECT count(seq) FROM run_changes")

    async def step(write: Any) -> None:
        nonlocal answered
        await write
        answered += 1
        # Answered only once numbered: at least as many numbered changes as answers.
        with store.db.read() as conn:
            assert numbered.run(conn, {}).scalar_one() >= answered

    async def lifecycle(i: int) -> None:
        ref = RunRef(AUTO, f"r{i}")
        await step(_create(writes, store, f"r{i}"))
        await step(writes.run(store.change_run, ref, "", "", apply(machine.Action.START)))
        end = machine.Action.FAIL if i % 3 == 0 else machine.Action.SUCCEED
        await step(writes.run(store.change_run, ref, "", "", apply(end)))

    async def main() -> None:
        await asyncio.gather(*(lifecycle(i) for i in range(12)))

    asyncio.run(main())
    assert store.db._loop_engine is not None  # the loop's own connections were used
    with store.db.read() as conn:
        seqs = [row.seq for row in SEQS.run(conn, {}).all()]
        written = [tuple(r) for r in ROLLED.run(conn, {}).all()]
    assert sorted(seqs) == list(range(1, 12 * 3 + 1))  # every change numbered, no gap
    with store.db.write() as conn:
        rollups.rebuild(conn, store.db.workspace_id(conn, WS))
    with store.db.read() as conn:
        assert [tuple(r) for r in ROLLED.run(conn, {}).all()] == written


def test_errors_reach_their_callers_and_leave_the_connections_clean(store: SqlStore) -> None:
    writes = _writes(store)

    async def main() -> list[grpc.StatusCode]:
        await _create(writes, store, "once")
        codes = []
        for attempt in (
            _create(writes, store, "once"),  # its name is taken
            writes.run(
                store.change_run, RunRef(AUTO, "once"), "", "", apply(machine.Action.SUCCEED)
            ),
            writes.run(
                store.change_run, RunRef(AUTO, "nobody"), "", "", apply(machine.Action.START)
            ),
        ):
            try:
                await attempt
            except ApiError as exc:
                codes.append(exc.code)
        await writes.run(
            store.change_run, RunRef(AUTO, "once"), "", "", apply(machine.Action.START)
        )
        return codes

    assert asyncio.run(main()) == [
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,  # a pending run cannot succeed
        grpc.StatusCode.NOT_FOUND,
    ]
    engine = store.db._loop_engine
    assert engine is not None and engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with store.db.read() as conn:
        assert WAITING.run(conn, {}).scalar_one() == 0


def test_a_write_outlives_its_caller(store: SqlStore) -> None:
    writes = _writes(store)

    async def main() -> None:
        caller = asyncio.ensure_future(_create(writes, store, "orphan", key="k-orphan"))
        await asyncio.sleep(0)  # the write has started
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        while writes._tasks:  # the write goes on to its COMMIT
            await asyncio.sleep(0.01)
        # Its request_id replays the first answer, once.
        again = await _create(writes, store, "orphan", key="k-orphan")
        assert again.name.endswith("/runs/orphan")

    asyncio.run(main())
    with store.db.read() as conn:
        found = Sql("SELECT count(*) FROM runs WHERE run = 'orphan'").run(conn, {}).scalar_one()
        waiting = WAITING.run(conn, {}).scalar_one()
    assert (found, waiting) == (1, 0)


def test_a_lost_connection_fails_one_write_retryably(store: SqlStore, database_url: str) -> None:
    writes = _writes(store)
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")

    async def main() -> grpc.StatusCode | None:
        await _create(writes, store, "before")
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        code = None
        try:
            await _create(writes, store, "during")
        except ApiError as exc:
            code = exc.code
        await _create(writes, store, "after")  # a new connection
        return code

    # The write on the killed connection is refused retryably (unless the pool
    # found the connection dead first: then it is made on a new one).
    assert asyncio.run(main()) in (grpc.StatusCode.UNAVAILABLE, None)
    with psycopg.connect(conninfo) as conn:
        names = {row[0] for row in conn.execute("SELECT run FROM runs")}
    assert names >= {"before", "after"}
