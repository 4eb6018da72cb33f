"""PostgreSQL: the change feed numbered right after the commit.

A PostgreSQL run change inserts its change-feed row unnumbered (`seq` NULL)
with its rollup delta in `rollup`, and touches no row another writer of the
workspace writes: writers commit side by side and share WAL flushes
(docs/performance.md, "PostgreSQL: the feed numbered after the commit").
After its COMMIT the writer runs `number`: one message that takes the
workspace's sequencer lock (an advisory lock, so a sequencer that finds
nothing to do wrote nothing and its COMMIT flushes nothing), numbers every
committed unnumbered row of the workspace in id order from the counter, adds
their rollup deltas summed per key, bumps the counter and commits. The writer
returns only after that, so an acknowledged change is in the feed and the
aggregates. Numbers are given in the order the sequencer transactions commit,
so a reader that has seen n never later finds a smaller one; a run's later
change has the larger id (it waited for the earlier one's row lock and
inserted its row after that commit), so a run's changes keep their order.

Rows a killed process committed but did not number are numbered by the next
writer of the workspace, at start-up (`number_pending`) and by
`runyard rebuild-rollups`. SQLite numbers rows inside its single writer's
transaction and never comes here.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, inspect, select, text

from runyard.store import pg_script
from runyard.store import statements as st
from runyard.store import tables as t
from runyard.store.tables import HIST_COLUMNS

# The advisory-lock key space of the sequencers (one key per workspace id below 2**32;
# a larger id may share a key with another: they then take turns, nothing worse).
_LOCK_SPACE = 0x52594644 << 32


def lock_key(workspace_id: int) -> int:
    return _LOCK_SPACE | workspace_id


# Held until the transaction ends; taken by the sequencer and by a change that
# numbers its rows in its own transaction (runyard.store.changefeed).
LOCK = st.Sql("SELECT pg_advisory_xact_lock(:key)")


def delta_json(rows: Iterable[Sequence[Any]]) -> str | None:
    """A change's rollup delta as stored in run_changes.rollup: one array per
    key, [level, automation, bucket_start, state, trigger, count,
    duration_count, duration_sum, duration_max, {bin: n}] (read by NUMBER)."""
    out = [list(row) for row in rows]
    return json.dumps(out, separators=(",", ":")) if out else None


def _number_sql() -> st.Sql:
    # A key's histogram is summed from the bins its deltas set (jsonb_each_text
    # of each sparse {bin: n}), then read once per column: extracting all 56
    # bins from every delta took most of the statement (docs/performance.md).
    hist = ", ".join(f"coalesce((bins.h->>'{k}')::bigint, 0)" for k in range(len(HIST_COLUMNS)))
    hist_columns = ", ".join(f'"{c}"' for c in HIST_COLUMNS)
    sums = ("run_count", "duration_count", "duration_sum", *HIST_COLUMNS)
    adds = ", ".join(f'"{c}" = run_rollups."{c}" + excluded."{c}"' for c in sums)
    key = 'workspace_id, level, automation, bucket_start, state, "trigger"'
    same_key = " AND ".join(
        f"bins.{c} IS NOT DISTINCT FROM sums.{c}" for c in ("l", "a", "b", "s", "t")
    )
    return st.Sql(
        # `todo` is read once, under the lock (a statement after the one that
        # took it sees every row committed before).
        "WITH todo AS MATERIALIZED ("
        " SELECT id, rollup, row_number() OVER (ORDER BY id) AS n FROM run_changes"
        " WHERE workspace_id = :workspace_id AND seq IS NULL),"
        " head AS (SELECT coalesce((SELECT value FROM change_feed_state WHERE name = :name), 0)"
        " AS value),"
        " numbered AS (UPDATE run_changes AS c SET seq = head.value + todo.n, rollup = NULL"
        " FROM todo, head WHERE c.id = todo.id RETURNING todo.rollup),"
        " bumped AS (INSERT INTO change_feed_state (name, value)"
        " SELECT :name, count(*) FROM todo HAVING count(*) > 0"
        " ON CONFLICT (name) DO UPDATE SET value = change_feed_state.value + excluded.value),"
        " deltas AS MATERIALIZED (SELECT (e->>0)::int AS l, e->>1 AS a, (e->>2)::bigint AS b,"
        " (e->>3)::int AS s, (e->>4)::int AS t, e"
        " FROM numbered, jsonb_array_elements(numbered.rollup::jsonb) AS e),"
        " sums AS (SELECT l, a, b, s, t, sum((e->>5)::bigint) AS c, sum((e->>6)::bigint) AS dc,"
        " sum((e->>7)::bigint) AS ds, max((e->>8)::bigint) AS dm"
        " FROM deltas GROUP BY l, a, b, s, t),"
        " bins AS (SELECT l, a, b, s, t, jsonb_object_agg(k, n) AS h FROM"
        " (SELECT l, a, b, s, t, h.key AS k, sum(h.value::bigint) AS n"
        " FROM deltas, jsonb_each_text(e->9) AS h GROUP BY l, a, b, s, t, h.key"
        " HAVING sum(h.value::bigint) <> 0) AS x"
        " GROUP BY l, a, b, s, t),"
        f" rolled AS (INSERT INTO run_rollups ({key}, run_count, duration_count,"
        f" duration_sum, duration_max, {hist_columns})"
        f" SELECT :workspace_id, sums.l, sums.a, sums.b, sums.s, sums.t, sums.c, sums.dc,"
        f" sums.ds, sums.dm, {hist}"
        f" FROM sums LEFT JOIN bins ON {same_key}"
        # Keys whose changes cancel out (a run created and another started in
        # the same hour) are not written.
        " WHERE sums.c <> 0 OR sums.dc <> 0 OR sums.ds <> 0 OR sums.dm > 0"
        " OR bins.h IS NOT NULL"
        # Key order, as every rollup writer takes the rows (runyard.store.rollups).
        ' ORDER BY sums.l, sums.a COLLATE "C", sums.b, sums.s, sums.t'
        f" ON CONFLICT ({key}) DO UPDATE SET {adds},"
        " duration_max = GREATEST(run_rollups.duration_max, excluded.duration_max))"
        " SELECT count(*) FROM todo"
    )


# Numbers the workspace's committed unnumbered rows and applies their deltas;
# run under LOCK.
NUMBER = _number_sql()


def statements(workspace_id: int) -> list[st.Statement]:
    """LOCK and NUMBER for one workspace (a change that numbers its own rows
    in its transaction runs these first, so rows committed before it come first)."""
    return [
        (LOCK, {"key": lock_key(workspace_id)}, False),
        (NUMBER, {"workspace_id": workspace_id, "name": f"ws:{workspace_id}"}, False),
    ]


def number(conn: Connection, workspace_ids: Iterable[int]) -> None:
    """Runs the sequencer of each workspace, one round trip and one
    transaction each, on the connection of a write that has just committed."""
    for workspace_id in sorted(set(workspace_ids)):
        st.run_transaction(conn, statements(workspace_id))


class Turns:
    """This process's sequencer runs, one at a time per workspace: a writer
    that committed while a run was under way waits for the next, which numbers
    its row with every other that committed meanwhile (one lock, one COMMIT
    for all of them), instead of each queueing on the advisory lock in turn."""

    __slots__ = ("_cond", "_done", "_running", "_started")

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._started: dict[int, int] = {}
        self._done: dict[int, int] = {}
        self._running: set[int] = set()

    def after_commit(self, conn: Connection, workspace_ids: Iterable[int]) -> None:
        """Returns once a sequencer run that began after this call has ended
        for each workspace (so rows committed before it are numbered)."""
        for workspace_id in sorted(set(workspace_ids)):
            self._one(conn, workspace_id)

    def _one(self, conn: Connection, workspace_id: int) -> None:
        cond = self._cond
        with cond:
            # Any run that starts from now on covers this writer's row.
            target = self._started.get(workspace_id, 0) + 1
            while self._done.get(workspace_id, 0) < target:
                if workspace_id in self._running:
                    cond.wait()
                    continue
                self._started[workspace_id] = self._started.get(workspace_id, 0) + 1
                self._running.add(workspace_id)
                try:
                    cond.release()
                    try:
                        number(conn, (workspace_id,))
                    finally:
                        cond.acquire()
                finally:
                    self._running.discard(workspace_id)
                    cond.notify_all()
                # A failed run leaves `done` behind `started`: the next writer
                # (or this one, on its way out) runs again.
                self._done[workspace_id] = self._started[workspace_id]


# The sequencer's statement prepared on a connection of the writes on the
# event loop (runyard.store.pg_loop_writes): planning it took ~1 ms a run.
_PREPARED = "ry_number"
_PREPARE = f"PREPARE {_PREPARED} (bigint, text) AS " + NUMBER.text.replace(
    ":workspace_id", "$1"
).replace(":name", "$2")


def _script(workspace_id: int) -> str:
    return (
        f"BEGIN; SELECT pg_advisory_xact_lock({lock_key(workspace_id)});"
        f" EXECUTE {_PREPARED}({workspace_id}, 'ws:{workspace_id}'); COMMIT"
    )


async def _number_on_loop(driver: Any, info: dict[str, Any], workspace_id: int) -> None:
    if not info.get(_PREPARED):
        await pg_script.run(driver, _PREPARE)
        info[_PREPARED] = True
    await pg_script.run(driver, _script(workspace_id))


class LoopTurns:
    """Turns for the writes on the event loop, by the same rule, with
    asyncio's waits: a writer that committed while a run was under way waits
    for the next, which numbers its row with the others'."""

    __slots__ = ("_done", "_running", "_started")

    def __init__(self) -> None:
        self._started: dict[int, int] = {}
        self._done: dict[int, int] = {}
        self._running: dict[int, asyncio.Future[None]] = {}

    async def after_commit(
        self, driver: Any, info: dict[str, Any], workspace_ids: Iterable[int]
    ) -> None:
        """Returns once a run that began after this call has ended for each
        workspace; runs on `driver` (the writer's connection) when it is the
        one to go."""
        for workspace_id in sorted(set(workspace_ids)):
            target = self._started.get(workspace_id, 0) + 1
            while self._done.get(workspace_id, 0) < target:
                running = self._running.get(workspace_id)
                if running is not None:
                    await running
                    continue
                self._started[workspace_id] = self._started.get(workspace_id, 0) + 1
                self._running[workspace_id] = ended = asyncio.get_running_loop().create_future()
                try:
                    await _number_on_loop(driver, info, workspace_id)
                finally:
                    del self._running[workspace_id]
                    ended.set_result(None)
                # A failed run leaves `done` behind `started`: the next writer runs again.
                self._done[workspace_id] = self._started[workspace_id]


def quiesce_for_rebuild(conn: Connection, workspace_id: int | None) -> None:
    """Before a rebuild of the rollups (runyard.store.rollups.rebuild): takes
    the sequencer locks of what it rebuilds, keeps new feed rows from
    committing until it ends (their runs would be counted there and their
    deltas again later), and numbers the rows waiting (a killed writer's
    among them)."""
    found = inspect(conn)
    if not found.has_table("run_changes") or "rollup" not in {
        c["name"] for c in found.get_columns("run_changes")
    }:
        return  # a migration before the feed was numbered this way
    ws = t.workspaces.c.id
    ids = (
        [workspace_id]
        if workspace_id is not None
        else [int(w) for w in conn.execute(select(ws).order_by(ws)).scalars()]
    )
    for w in ids:
        LOCK.run(conn, {"key": lock_key(w)})
    conn.execute(text("LOCK TABLE run_changes IN EXCLUSIVE MODE"))
    c = t.run_changes.c
    waiting = select(c.workspace_id).where(c.seq.is_(None)).distinct()
    for w in sorted(int(w) for w in conn.execute(waiting).scalars()):
        if w in ids:
            NUMBER.run(conn, {"workspace_id": w, "name": f"ws:{w}"})


_PENDING = st.Sql("SELECT DISTINCT workspace_id FROM run_changes WHERE seq IS NULL")


def number_pending(conn: Connection) -> int:
    """Numbers every workspace's committed unnumbered rows (left by a process
    killed between its COMMIT and its sequencer); returns how many workspaces
    had some."""
    found = [int(row[0]) for row in _PENDING.run(conn, {}).all()]
    number(conn, found)
    return len(found)
