"""The write side of live streams: change-feed rows and change signals.

Every write that a stream may care about calls `signal` with its topics inside
its transaction: `r:<run row id>` when a run's timeline grew, `w:<workspace
id>` when a run of the workspace changed (a new change-feed row). After the
commit the store hands them to the in-process hub (runyard.store.notify) and,
on PostgreSQL, sends them to every LISTENing replica with pg_notify
(runyard.store.pgnotify).

`record` writes one row of the WatchRuns change feed in the transaction of the
run's change, so a change is in the feed exactly when it is committed. Its
number is taken at the end of that transaction (runyard.store.tail.Tail), or
on PostgreSQL right after its COMMIT, before the write returns
(runyard.store.sequencer).
"""

from __future__ import annotations

import time
from typing import Any, Protocol, cast

from sqlalchemy import Connection, delete, func, insert, select, text, update

from runyard.store import sequencer
from runyard.store import statements as st
from runyard.store import tables as t
from runyard.store.db import CHANNEL as CHANNEL  # runyard.store.notify listens on it
from runyard.store.db import TOPICS
from runyard.store.tail import FEED, ROLLUPS, Tail, tail
from runyard.v1 import run_pb2

# Changes are kept this long (docs/streams.md); older cursors are OUT_OF_RANGE.
RETENTION_US = 7 * 24 * 3600 * 1_000_000


def run_topic(run_row_id: int) -> str:
    return f"r:{run_row_id}"


def workspace_topic(workspace_id: int) -> str:
    return f"w:{workspace_id}"


def signal(conn: Connection, *topics: str) -> None:
    """Announces `topics` once the transaction of `conn` commits (a
    runyard.store.db write sends them after its commit; elsewhere, on
    PostgreSQL, they go with the transaction)."""
    pending: list[str] | None = conn.info.get(TOPICS)
    if pending is not None:
        pending.extend(topics)
    elif conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": " ".join(topics)},
        )


# Takes the workspace's next `n` change numbers, making its counter on first use.
_BUMP = st.Sql(
    "INSERT INTO change_feed_state (name, value) VALUES (:name, :n)"
    " ON CONFLICT (name) DO UPDATE SET value = change_feed_state.value + excluded.value"
)
# The same on PostgreSQL, a plain UPDATE first: writers waiting for the row then
# queue behind its tuple lock and are woken one at a time, while an ON CONFLICT
# that waits wakes every waiter at each commit to race for the row again (half
# the waits were in the lock manager). The insert is for the first change only.
_BUMP_PG = st.Sql(
    "WITH bumped AS (UPDATE change_feed_state SET value = value + :n WHERE name = :name"
    " RETURNING 1)"
    " INSERT INTO change_feed_state (name, value) SELECT :name, :n"
    " WHERE NOT EXISTS (SELECT 1 FROM bumped)"
    " ON CONFLICT (name) DO UPDATE SET value = change_feed_state.value + excluded.value"
)
# A change numbered from the counter just bumped: the last `back` numbers below
# its value are this transaction's, so no round trip reads the value first.
_INSERT_CHANGE = st.insert(
    "run_changes",
    ("workspace_id", "seq", "automation", "create_time", "body"),
    values={"seq": "(SELECT value FROM change_feed_state WHERE name = :name) - :back"},
)
# PostgreSQL: a change left for the sequencer, with its rollup delta.
_INSERT_UNNUMBERED = st.insert(
    "run_changes", ("workspace_id", "automation", "create_time", "body", "rollup")
)
# Before the rollups in every transaction's Tail: a change numbered in its
# transaction takes the workspace's counter (on PostgreSQL the sequencer's
# lock) before the rollup rows, as the sequencer does, so none can deadlock.
STAGE = FEED


class _Carried(Protocol):
    """What the rollup stage (runyard.store.rollups) tells the feed's rows."""

    def maxed(self, workspace_id: int) -> bool: ...

    def take(self, workspace_id: int) -> str | None: ...


class _Changes:
    """A transaction's change-feed rows, written at its end (runyard.store.tail.Tail).

    SQLite, and a PostgreSQL change that recomputes a rollup maximum: numbered
    from the workspace's counter, whose row stays locked until the
    transaction ends, so changes commit in number order (on PostgreSQL after
    numbering, under the sequencer's lock, every committed row still
    unnumbered: those came first). Any other PostgreSQL change: unnumbered,
    carrying the transaction's rollup delta, numbered after the COMMIT by
    runyard.store.sequencer; the transaction then writes no row another writer
    of the workspace writes."""

    __slots__ = ("_bump", "_tail", "by_workspace")

    def __init__(self, dialect: str, pending: Tail | None = None) -> None:
        self._bump = _BUMP_PG if dialect == "postgresql" else _BUMP
        # PostgreSQL in a write transaction: rows may be left for the sequencer.
        self._tail = pending if dialect == "postgresql" else None
        self.by_workspace: dict[int, list[dict[str, Any]]] = {}

    def merge(self, other: _Changes) -> None:
        for workspace_id, rows in other.by_workspace.items():
            self.by_workspace.setdefault(workspace_id, []).extend(rows)

    def statements(self) -> list[st.Statement]:
        out: list[st.Statement] = []
        for workspace_id, rows in sorted(self.by_workspace.items()):
            if self._unnumbered(workspace_id, rows):
                out.append((_INSERT_UNNUMBERED, rows, True))
                continue
            if self._bump is _BUMP_PG:
                out.extend(sequencer.statements(workspace_id))
            name = f"ws:{workspace_id}"
            for back, row in enumerate(reversed(rows)):
                row.update(name=name, back=back)
            out.append((self._bump, {"name": name, "n": len(rows)}, False))
            out.append((_INSERT_CHANGE, rows, True))
        return out

    def _unnumbered(self, workspace_id: int, rows: list[dict[str, Any]]) -> bool:
        """Leaves the rows for the sequencer where that may be (see the class),
        the transaction's rollup delta of the workspace on the last one."""
        pending = self._tail
        if pending is None:
            return False
        rollups = cast(_Carried | None, pending.get(ROLLUPS))
        if rollups is not None and rollups.maxed(workspace_id):
            return False
        for row in rows:
            row["rollup"] = None
        rows[-1]["rollup"] = rollups.take(workspace_id) if rollups is not None else None
        pending.unnumbered.add(workspace_id)
        return True


def hold(conn: Connection, workspace_id: int) -> None:
    """Takes the workspace's sequencer lock now, for a PostgreSQL transaction
    that must write rollup rows before its end: it then takes its locks in the
    order every writer does (that lock, then rollups), so none can deadlock."""
    if conn.dialect.name == "postgresql":
        sequencer.LOCK.run(conn, {"key": sequencer.lock_key(workspace_id)})


def record(
    conn: Connection, workspace_id: int, automation: str, run_row_id: int, run: run_pb2.Run
) -> None:
    """Appends the run as it now is to the change feed (numbered when the
    transaction ends) and signals its watchers."""
    pending = tail(conn)
    dialect = conn.dialect.name
    changes = (
        _Changes(dialect)
        if pending is None
        else pending.stage(STAGE, lambda: _Changes(dialect, pending))
    )
    changes.by_workspace.setdefault(workspace_id, []).append(
        {
            "workspace_id": workspace_id,
            "automation": automation,
            "create_time": time.time_ns() // 1000,
            "body": run.SerializeToString(),
        }
    )
    if pending is None:
        st.run_each(conn, changes.statements())
    signal(conn, workspace_topic(workspace_id), run_topic(run_row_id))


def _state(conn: Connection, name: str) -> int:
    state = t.change_feed_state
    return int(conn.execute(select(state.c.value).where(state.c.name == name)).scalar() or 0)


def pruned_through(conn: Connection, workspace_id: int) -> int:
    """The workspace's highest change number removed by pruning (0 when none was)."""
    return _state(conn, f"pruned:{workspace_id}")


def head(conn: Connection, workspace_id: int) -> int:
    """The workspace's highest change number so far (0 when none)."""
    return _state(conn, f"ws:{workspace_id}")


def prune(conn: Connection, older_than_us: int) -> int:
    """Removes changes committed before `older_than_us`; returns how many."""
    c = t.run_changes.c
    lasts = conn.execute(
        select(c.workspace_id, func.max(c.seq))
        .where(c.create_time < older_than_us)
        .group_by(c.workspace_id)
    ).all()
    removed = 0
    state = t.change_feed_state
    for workspace_id, last in lasts:
        if last is None:  # only rows the sequencer has not numbered yet
            continue
        removed += int(
            conn.execute(
                delete(t.run_changes).where(c.workspace_id == workspace_id, c.seq <= last)
            ).rowcount
            or 0
        )
        name = f"pruned:{workspace_id}"
        done = conn.execute(update(state).where(state.c.name == name).values(value=last))
        if not done.rowcount:
            conn.execute(insert(state).values(name=name, value=last))
    return removed


def changes_after(
    conn: Connection, workspace_id: int, automation: str, after: int, upto: int, limit: int
) -> list[Any]:
    """Up to `limit` changes (seq, create_time, body) in (after, upto], in order."""
    c = t.run_changes.c
    query = select(c.seq, c.create_time, c.body).where(
        c.workspace_id == workspace_id, c.seq > after, c.seq <= upto
    )
    if automation != "-":
        query = query.where(c.automation == automation)
    return list(conn.execute(query.order_by(c.seq).limit(limit)).all())
