"""Concurrent writers of one workspace: the change feed stays gapless and in
commit order (what WatchRuns resumes from), and the rollups stay exact.

Run changes number their feed rows at the end of their transactions
(runyard.store.tail.Tail); on PostgreSQL many connections write at once, so a
reader polling meanwhile would see a gap if a change committed before a
smaller number did."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select

from runyard.domain import runs as domain
from runyard.store import layout
from runyard.store import tables as t
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.store.streams import StreamReads
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2

WRITERS = 6
RUNS_EACH = 8
# Each run: created, started, then completed (or failed).
CHANGES_PER_RUN = 3
WORKSPACE = WorkspaceRef("acme", "feed")


def _write_runs(store: SqlStore, automations: list[AutomationRef], writer: int) -> None:
    for i in range(RUNS_EACH):
        parent = automations[(writer + i) % len(automations)]
        ref = RunRef(parent, f"w{writer}-r{i}")
        actor = domain.Actor("tests", time.time_ns() // 1000)
        run, change = domain.new_run(run_pb2.Run(caller="tests"), actor)
        store.create_run(ref, run, change, f"create-{writer}-{i}")
        for step, action in enumerate((domain.Action.START, _end(writer, i))):
            store.change_run(ref, "", f"step-{writer}-{i}-{step}", _apply(action))


def _apply(action: domain.Action) -> Callable[[run_pb2.Run, int], domain.Transition]:
    def apply(current: run_pb2.Run, paused_from: int) -> domain.Transition:
        actor = domain.Actor("tests", time.time_ns() // 1000)
        return domain.transition(current, paused_from, action, actor)

    return apply


def _end(writer: int, i: int) -> domain.Action:
    return domain.Action.FAIL if (writer + i) % 3 == 0 else domain.Action.SUCCEED


def test_concurrent_writers_make_a_gapless_commit_ordered_feed(database_url: str) -> None:
    store = SqlStore(database_url, pool_size=WRITERS)
    try:
        store.create_workspace(WORKSPACE, workspace_pb2.Workspace(display_name="Feed"), "")
        automations = [AutomationRef(WORKSPACE, a) for a in ("extract", "load")]
        for a in automations:
            store.create_automation(a, automation_pb2.Automation(display_name=a.automation), "")
        reads = StreamReads(store.db)
        parent = AutomationRef(WORKSPACE, "-")
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                _write_runs(store, automations, n)
            except BaseException as exc:  # reported below, with the thread's traceback
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        total = WRITERS * RUNS_EACH * CHANGES_PER_RUN
        seen: list[int] = []
        states: dict[str, list[int]] = {}
        cursor = 0

        def read() -> None:
            # Every batch must continue exactly where the last one ended.
            nonlocal cursor
            batch = reads.changes_after(parent, cursor, limit=7)
            seqs = [int(row.seq) for row in batch.changes]
            assert seqs == list(range(cursor + 1, cursor + 1 + len(seqs))), (cursor, seqs)
            assert batch.last >= cursor
            seen.extend(seqs)
            for row in batch.changes:
                run = run_pb2.Run.FromString(row.body)
                states.setdefault(run.name, []).append(run.state)
            cursor = batch.last

        # Poll while the writers write (bounded by a count of reads, not a clock),
        # then read what is left.
        for _ in range(20_000):
            if not any(thread.is_alive() for thread in threads):
                break
            read()
        for thread in threads:
            thread.join()
        for _ in range(total):
            if cursor == total:
                break
            read()
        assert not errors, errors
        assert seen == list(range(1, total + 1))
        assert reads.head(WORKSPACE) == total
        # Each run's changes are in the feed in the order they happened.
        assert len(states) == WRITERS * RUNS_EACH
        for name, path in states.items():
            assert path[:2] == [run_pb2.Run.QUEUED, run_pb2.Run.RUNNING], name
            assert path[2] in (run_pb2.Run.SUCCEEDED, run_pb2.Run.FAILED), name
        _assert_rollups_match_runs(store)
    finally:
        store.close()


def _assert_rollups_match_runs(store: SqlStore) -> None:
    """The all-time "all automations, all triggers" rollup rows count every run."""
    r, runs = t.run_rollups.c, t.runs.c
    with store.db.read() as conn:
        rolled = dict(
            conn.execute(
                select(r.state, r.run_count).where(
                    r.level == layout.LEVEL_ALL,
                    r.automation == layout.ALL_AUTOMATIONS,
                    r.trigger == layout.ALL_TRIGGERS,
                    r.run_count != 0,
                )
            ).all()
        )
        counted: dict[int, int] = dict(
            conn.execute(select(runs.state, func.count()).group_by(runs.state)).all()
        )
    assert rolled == counted
    assert sum(counted.values()) == WRITERS * RUNS_EACH
