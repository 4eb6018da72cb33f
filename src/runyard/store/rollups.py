"""Run rollups maintained on write (levels and "all" rows are described in
runyard.store.layout, the histogram in runyard.domain.aggregates).

`apply` is called inside the writing transaction with the run before and after
the change (None when it did not exist): it subtracts the old contribution and
adds the new one with incrementing upserts, so the rollups commit or roll back
with the run itself and stay exact under concurrent writers, pauses, retries
and request replays. Rows are upserted in key order, so two PostgreSQL
transactions lock them in the same order and cannot deadlock on them.

`rebuild` recomputes everything from the runs table (`runyard rebuild-rollups`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, inspect, select, text

from runyard.domain import aggregates as agg
from runyard.store import changefeed, layout, sequencer
from runyard.store import rollup_maxima as maxima
from runyard.store import statements as st
from runyard.store import tables as t
from runyard.store.tail import ROLLUPS, tail, write_pending, writes_later
from runyard.v1 import run_pb2

R = t.run_rollups
ARCHIVED = t.runs_archive
HIST = t.HIST_COLUMNS
_KEY_COLUMNS = ("level", "automation", "bucket_start", "state", "trigger")
REBUILD_CHUNK = 50_000

# (automation, create_time, state, trigger, duration or None)
Contribution = tuple[str, int, int, int, int | None]
# (level, automation, bucket_start, state, trigger)
Key = tuple[int, str, int, int, int]
# (automation, quarter start, state, trigger)
QKey = tuple[str, int, int, int]


class _Acc:
    # `shared`: the same object stands for several keys (a quarter's fan-out),
    # so a key that needs a sum of two gets a copy first (_fan).
    __slots__ = ("count", "d_count", "d_max", "d_sum", "hist", "shared")

    def __init__(self) -> None:
        self.count = 0
        self.d_count = 0
        self.d_sum = 0
        self.d_max = 0
        self.hist: dict[int, int] = {}
        self.shared = False

    def merge(self, other: _Acc) -> None:
        self.count += other.count
        self.d_count += other.d_count
        self.d_sum += other.d_sum
        self.d_max = max(self.d_max, other.d_max)
        for k, n in other.hist.items():
            self.hist[k] = self.hist.get(k, 0) + n

    def moves(self) -> bool:
        return bool(self.count or self.d_count or any(self.hist.values()))


def contribution(automation: str, run: run_pb2.Run) -> Contribution:
    duration = run.duration.ToMicroseconds() if run.HasField("duration") else None
    return (automation, run.create_time.ToMicroseconds(), run.state, run.trigger, duration)


def _accumulate(items: Iterable[tuple[Contribution, int]]) -> dict[Key, _Acc]:
    """Sums signed contributions per rollup key, every level and "all" row included."""
    return _fan(_quarters(items))


def _quarters(items: Iterable[tuple[Contribution, int]]) -> dict[QKey, _Acc]:
    """Sums signed contributions per quarter: most runs share one with others,
    so the fan-out to the other levels and the "all" rows (_fan) happens per
    quarter, not per run."""
    quarters: dict[QKey, _Acc] = {}
    for (automation, created, state, trigger, duration), sign in items:
        qkey = (automation, layout.floor_to(created, layout.QUARTER_US), state, trigger)
        acc = quarters.get(qkey)
        if acc is None:
            acc = quarters[qkey] = _Acc()
        acc.count += sign
        if duration is not None:
            acc.d_count += sign
            acc.d_sum += sign * duration
            if sign > 0:
                acc.d_max = max(acc.d_max, duration)
            k = agg.hist_bin(duration)
            acc.hist[k] = acc.hist.get(k, 0) + sign
    return quarters


def _fan(quarters: dict[QKey, _Acc]) -> dict[Key, _Acc]:
    """Quarter sums spread over every rollup key they count in."""
    out: dict[Key, _Acc] = {}
    for (automation, qstart, state, trigger), acc in quarters.items():
        # A key seen once keeps the quarter's own sums (no copy per key: a run
        # change fans out to 20 keys, most of them seen once).
        acc.shared = True
        for key in _fan_out(automation, qstart, state, trigger):
            target = out.get(key)
            if target is None:
                out[key] = acc
                continue
            if target.shared:
                target = out[key] = _copy(target)
            target.merge(acc)
    return out


def _copy(acc: _Acc) -> _Acc:
    out = _Acc()
    out.merge(acc)
    return out


@functools.lru_cache(maxsize=4096)
def _fan_out(automation: str, qstart: int, state: int, trigger: int) -> tuple[Key, ...]:
    """Every rollup key a quarter's sums count in: each level, with and
    without the automation and the trigger."""
    return tuple(
        (level, a, start, state, tr)
        for level, start in layout.bucket_starts(qstart)
        for a in (automation, layout.ALL_AUTOMATIONS)
        for tr in (trigger, layout.ALL_TRIGGERS)
    )


def _upsert(conn: Connection, workspace_id: int, accs: dict[Key, _Acc]) -> None:
    """One incrementing upsert per key, in key order, at once."""
    statement = _upsert_rows(workspace_id, accs)
    if statement is not None:
        st.run_each(conn, [statement])


def _upsert_rows(workspace_id: int, accs: dict[Key, _Acc]) -> st.Statement | None:
    """The upserts of `accs`, one row per key in key order. Only the histogram
    bins some row moves are bound (a new row's others default to 0), so a run
    change binds about a dozen values per row instead of 66."""
    if not accs:
        return None
    bins = sorted({k for acc in accs.values() for k, n in acc.hist.items() if n})
    rows: list[dict[str, Any]] = []
    hist = [(k, HIST[k]) for k in bins]
    for key in sorted(accs):
        acc = accs[key]
        level, automation, bucket_start, state, trigger = key
        row: dict[str, Any] = {
            "level": level,
            "automation": automation,
            "bucket_start": bucket_start,
            "state": state,
            "trigger": trigger,
            "workspace_id": workspace_id,
            "run_count": acc.count,
            "duration_count": acc.d_count,
            "duration_sum": acc.d_sum,
            "duration_max": acc.d_max,
        }
        for k, column in hist:
            row[column] = acc.hist.get(k, 0)
        rows.append(row)
    return (_upsert_statement(tuple(column for _, column in hist)), rows, True)


def _moved(accs: dict[Key, _Acc]) -> dict[Key, _Acc]:
    """The keys a change moves (a pair that cancels out needs no write)."""
    return {k: a for k, a in accs.items() if a.moves()}


# After the change feed (runyard.store.changefeed.STAGE) in every transaction.
STAGE = ROLLUPS


class _Deltas:
    """A transaction's (on SQLite's loop, a group's) rollup changes summed per
    quarter, spread over their 20 keys only when written (same rows, one sum
    per change instead of 16), upserted at its end (runyard.store.tail.Tail);
    on PostgreSQL most are carried by the transaction's change-feed row instead
    (`take`) and added by the sequencer (runyard.store.sequencer)."""

    __slots__ = ("_maxed", "by_workspace")

    def __init__(self) -> None:
        self.by_workspace: dict[int, dict[QKey, _Acc]] = {}
        # PostgreSQL: keys whose maxima are read again from the runs at the end.
        self._maxed: dict[int, set[Key]] = {}

    def add(self, workspace_id: int, quarters: dict[QKey, _Acc]) -> None:
        """Takes `quarters` over (the caller made them for this and drops them)."""
        into = self.by_workspace.get(workspace_id)
        if into is None:
            # A single change per transaction is the common case: nothing to sum.
            self.by_workspace[workspace_id] = quarters
            return
        for key, acc in quarters.items():
            target = into.get(key)
            if target is None:
                into[key] = acc
            else:
                target.merge(acc)

    def add_maxed(self, workspace_id: int, keys: set[Key]) -> None:
        self._maxed.setdefault(workspace_id, set()).update(keys)
        self.by_workspace.setdefault(workspace_id, {})

    def merge(self, other: _Deltas) -> None:
        for workspace_id, quarters in other.by_workspace.items():
            self.add(workspace_id, quarters)
        for workspace_id, keys in other._maxed.items():
            self.add_maxed(workspace_id, keys)

    def maxed(self, workspace_id: int) -> bool:
        return bool(self._maxed.get(workspace_id))

    def take(self, workspace_id: int) -> str | None:
        """The workspace's summed delta as a change-feed row carries it
        (runyard.store.sequencer.delta_json), no longer written here."""
        accs = _moved(_fan(self.by_workspace.pop(workspace_id, {})))
        return sequencer.delta_json(
            (
                *key,
                acc.count,
                acc.d_count,
                acc.d_sum,
                acc.d_max,
                {str(k): n for k, n in acc.hist.items() if n},
            )
            for key, acc in sorted(accs.items())
        )

    def statements(self) -> list[st.Statement]:
        out: list[st.Statement] = []
        for workspace_id, quarters in sorted(self.by_workspace.items()):
            upsert = _upsert_rows(workspace_id, _moved(_fan(quarters)))
            if upsert is not None:
                out.append(upsert)
            out.extend(maxima.statements(workspace_id, self._maxed.get(workspace_id, ())))
        return out


def _write(
    conn: Connection, workspace_id: int, quarters: dict[QKey, _Acc], maxed: Iterable[Key] = ()
) -> None:
    """Adds `quarters` to the transaction's rollup changes; then recomputes the
    maxima of `maxed`, which needs the rows written first (so at once, or on
    PostgreSQL at the transaction's end, after its feed stage has taken the
    workspace's sequencer lock: runyard.store.changefeed)."""
    pending = tail(conn)
    deltas = _Deltas() if pending is None else pending.stage(STAGE, _Deltas)
    deltas.add(workspace_id, quarters)
    keys = set(maxed)
    if pending is not None and writes_later(conn):
        if keys:
            deltas.add_maxed(workspace_id, keys)
        return
    if keys:
        changefeed.hold(conn, workspace_id)
    if pending is None or keys:
        st.run_each(conn, deltas.statements())
        deltas.by_workspace.clear()
    if keys:
        # The maxima are read from the runs: their rows first (write_later).
        write_pending(conn)
        st.run_each(conn, maxima.statements(workspace_id, keys))


@functools.lru_cache(maxsize=512)
def _upsert_statement(hist: tuple[str, ...]) -> st.Sql:
    """INSERT … ON CONFLICT DO UPDATE adding the given columns (both dialects take it)."""
    sums = ("run_count", "duration_count", "duration_sum", *hist)
    columns = ("workspace_id", *_KEY_COLUMNS, *sums, "duration_max")
    adds = ", ".join(f'"{c}" = run_rollups."{c}" + excluded."{c}"' for c in sums)
    keys = ", ".join(f'"{c}"' for c in ("workspace_id", *_KEY_COLUMNS))
    return st.insert(
        "run_rollups",
        columns,
        f"ON CONFLICT ({keys}) DO UPDATE SET {adds}, duration_max = CASE"
        " WHEN excluded.duration_max > run_rollups.duration_max"
        " THEN excluded.duration_max ELSE run_rollups.duration_max END",
    )


def apply(
    conn: Connection,
    workspace_id: int,
    automation: str,
    before: run_pb2.Run | None,
    after: run_pb2.Run | None,
) -> None:
    """Moves the run's contribution from `before` to `after`."""
    old = contribution(automation, before) if before is not None else None
    new = contribution(automation, after) if after is not None else None
    if old == new:
        return
    items: list[tuple[Contribution, int]] = []
    if old is not None:
        items.append((old, -1))
    if new is not None:
        items.append((new, 1))
    maxed = _accumulate([(old, 1)]).keys() if old is not None and old[4] is not None else ()
    _write(conn, workspace_id, _quarters(items), maxed)


def apply_changes(
    conn: Connection,
    workspace_id: int,
    changes: Sequence[tuple[str, run_pb2.Run | None, run_pb2.Run | None]],
) -> None:
    """`apply` for many runs of one transaction at once (bulk actions): the
    deltas are summed in Python first, so each rollup key is upserted once."""
    items: list[tuple[Contribution, int]] = []
    maxed: list[tuple[Contribution, int]] = []
    for automation, before, after in changes:
        old = contribution(automation, before) if before is not None else None
        new = contribution(automation, after) if after is not None else None
        if old == new:
            continue
        if old is not None:
            items.append((old, -1))
            if old[4] is not None:
                maxed.append((old, 1))
        if new is not None:
            items.append((new, 1))
    _write(conn, workspace_id, _quarters(items), _accumulate(maxed).keys())


def apply_many(
    conn: Connection, workspace_id: int, items: Sequence[tuple[str, run_pb2.Run]]
) -> None:
    """Adds many new runs at once (bulk imports): summed in Python, then one upsert per key."""
    _write(conn, workspace_id, _quarters((contribution(a, r), 1) for a, r in items))


def rebuild(conn: Connection, workspace_id: int | None = None) -> int:
    """Recomputes the rollups of one workspace (or all) from the runs table, in
    the caller's transaction; returns how many runs were counted.

    On PostgreSQL the rollup table and the change feed are locked first
    (runyard.store.sequencer.quiesce_for_rebuild), so writers that commit
    meanwhile wait and then add their change on top: nothing is counted twice
    or missed. (SQLite writers are serialized anyway.)"""
    if conn.dialect.name == "postgresql":
        sequencer.quiesce_for_rebuild(conn, workspace_id)
        conn.execute(text("LOCK TABLE run_rollups IN EXCLUSIVE MODE"))
    # Archived runs count as before they moved (aggregates do not change); the
    # migration that made the rollups runs before the archive exists.
    sources = (t.runs, ARCHIVED) if inspect(conn).has_table(ARCHIVED.name) else (t.runs,)
    if workspace_id is None:
        conn.execute(delete(R))
        ws_ids = sorted(
            {
                int(w)
                for src in sources
                for w in conn.execute(select(src.c.workspace_id).distinct()).scalars()
            }
        )
    else:
        conn.execute(delete(R).where(R.c.workspace_id == workspace_id))
        ws_ids = [workspace_id]
    counted = 0
    for runs, ws_id in ((runs, w) for w in ws_ids for runs in sources):
        after: tuple[int, int] | None = None
        while True:
            q = select(
                runs.c.id,
                runs.c.automation,
                runs.c.create_time,
                runs.c.state,
                runs.c.trigger,
                runs.c.duration,
            ).where(runs.c.workspace_id == ws_id)
            if after is not None:
                # Keyset over ix_runs_ws_ct: each chunk costs the same.
                c, i = after
                q = q.where((runs.c.create_time > c) | and_(runs.c.create_time == c, runs.c.id > i))
            chunk = conn.execute(
                q.order_by(runs.c.create_time, runs.c.id).limit(REBUILD_CHUNK)
            ).all()
            if not chunk:
                break
            _upsert(
                conn,
                ws_id,
                _accumulate(
                    ((r.automation, r.create_time, r.state, r.trigger, r.duration), 1)
                    for r in chunk
                ),
            )
            counted += len(chunk)
            after = (chunk[-1].create_time, chunk[-1].id)
    return counted
