"""Concurrent writers of one workspace: the change feed stays gapless and in
commit order (what WatchRuns resumes from), and the rollups stay exact.

Run changes number their feed rows at the end of their transactions
(runyard.store.tail.Tail), on PostgreSQL just after them
(runyard.store.sequencer); there many connections write at once, so a
reader polling meanwhile would see a gap if a change committed before a
smaller number did. A PostgreSQL writer that dies between its COMMIT and its
sequencer leaves its row unnumbered: the next writer, a start-up or a replay
of the request numbers it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import pytest
from sqlalchemy import Connection, select

from runyard.domain import runs as domain
from runyard.store import changefeed, layout, rollups, sequencer
from runyard.store import tables as t
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.store.streams import StreamReads
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2
from tests.store.rollup_checks import rolled_and_counted

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
        _assert_rollups_match_runs(store, WRITERS * RUNS_EACH)
    finally:
        store.close()


def _assert_rollups_match_runs(store: SqlStore, runs_total: int) -> None:
    """The all-time "all automations, all triggers" rollup rows count every run."""
    with store.db.read() as conn:
        rolled, counted = rolled_and_counted(conn)
    assert rolled == counted
    assert sum(counted.values()) == runs_total


def _killed(conn: Connection, workspace_ids: Iterable[int]) -> None:
    """A sequencer that never runs: the process died just after the COMMIT."""


def _prepared(database_url: str) -> SqlStore:
    store = SqlStore(database_url, pool_size=2)
    store.create_workspace(WORKSPACE, workspace_pb2.Workspace(display_name="Feed"), "")
    parent = AutomationRef(WORKSPACE, "extract")
    store.create_automation(parent, automation_pb2.Automation(display_name="extract"), "")
    return store


def _create(store: SqlStore, name: str) -> run_pb2.Run:
    actor = domain.Actor("tests", time.time_ns() // 1000)
    run, change = domain.new_run(run_pb2.Run(caller="tests"), actor)
    return store.create_run(RunRef(AutomationRef(WORKSPACE, "extract"), name), run, change, name)


def _seqs(store: SqlStore) -> list[int | None]:
    """The feed's numbers in insertion (id) order; None: not numbered yet."""
    c = t.run_changes.c
    with store.db.read() as conn:
        return [s for (s,) in conn.execute(select(c.seq).order_by(c.id)).all()]


def test_a_change_committed_but_not_numbered_is_numbered_later(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite numbers each change inside its transaction")
    store = _prepared(database_url)
    reads = StreamReads(store.db)
    try:
        _create(store, "a")
        with monkeypatch.context() as m:
            m.setattr(sequencer, "number", _killed)
            _create(store, "b")
        assert _seqs(store) == [1, None]
        assert reads.head(WORKSPACE) == 1
        # The next writer of the workspace numbers it first.
        _create(store, "c")
        assert _seqs(store) == [1, 2, 3]
        _assert_rollups_match_runs(store, 3)
        # A process starting on the database numbers what a killed one left.
        with monkeypatch.context() as m:
            m.setattr(sequencer, "number", _killed)
            _create(store, "d")
        SqlStore(database_url, pool_size=1).close()
        assert _seqs(store) == [1, 2, 3, 4]
        # The request retried after the crash gets its first answer, numbered.
        with monkeypatch.context() as m:
            m.setattr(sequencer, "number", _killed)
            first = _create(store, "e")
        assert _create(store, "e") == first
        assert _seqs(store) == [1, 2, 3, 4, 5]
        assert reads.head(WORKSPACE) == 5
        _assert_rollups_match_runs(store, 5)
        # So does a rebuild of the rollups, which counts the run once.
        with monkeypatch.context() as m:
            m.setattr(sequencer, "number", _killed)
            _create(store, "f")
        assert store.rebuild_rollups() == 6
        assert _seqs(store) == [1, 2, 3, 4, 5, 6]
        _assert_rollups_match_runs(store, 6)
    finally:
        store.close()


def test_a_change_that_recomputes_a_maximum_keeps_the_feed_in_order(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change whose run had a duration reads rollup maxima again from the
    runs; on PostgreSQL it numbers its own row under the sequencer's lock,
    after the rows committed before it."""
    store = _prepared(database_url)
    try:
        ref = RunRef(AutomationRef(WORKSPACE, "extract"), "a")
        _create(store, "a")
        for step, action in enumerate((domain.Action.START, domain.Action.SUCCEED)):
            store.change_run(ref, "", f"a-{step}", _apply(action))
        with monkeypatch.context() as m:
            m.setattr(sequencer, "number", _killed)
            _create(store, "b")
        before = store.get_run(ref)
        after = run_pb2.Run()
        after.CopyFrom(before)
        after.duration.FromMicroseconds(before.duration.ToMicroseconds() + 1_000_000)
        with store.db.write() as conn:
            ws_id = store.db.workspace_id(conn, WORKSPACE)
            rollups.apply(conn, ws_id, "extract", before, after)
            changefeed.record(conn, ws_id, "extract", 0, after)
        assert _seqs(store) == [1, 2, 3, 4, 5]
        assert StreamReads(store.db).head(WORKSPACE) == 5
        # The maximum came back from the runs table, which still has the old duration.
        r = t.run_rollups.c
        with store.db.read() as conn:
            maximum = conn.execute(
                select(r.duration_max).where(
                    r.level == layout.LEVEL_ALL,
                    r.automation == layout.ALL_AUTOMATIONS,
                    r.trigger == layout.ALL_TRIGGERS,
                    r.state == run_pb2.Run.SUCCEEDED,
                )
            ).scalar_one()
        assert maximum == before.duration.ToMicroseconds()
    finally:
        store.close()
