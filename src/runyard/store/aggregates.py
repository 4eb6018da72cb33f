"""The aggregate queries: sums of rollup rows (runyard.store.rollups) over the
buckets that tile each requested range, plus the few runs in sub-quarter edges
read from the runs table itself, so every answer is exact (durations'
percentiles within the histogram's precision)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    and_,
    column,
    func,
    literal_column,
    select,
    true,
    union,
    values,
)

from runyard.domain import aggregates as agg
from runyard.store import layout
from runyard.store import tables as t
from runyard.store.filters import RunFilter, compile_run_filter

R = t.run_rollups
_SUMS = ("run_count", "duration_count", "duration_sum")


def _row_columns() -> list[Any]:
    return [
        R.c.state,
        *(func.sum(R.c[name]) for name in _SUMS),
        func.max(R.c.duration_max),
        *(func.sum(R.c[name]) for name in t.HIST_COLUMNS),
    ]


def _add_row(totals: agg.Totals, row: Sequence[Any]) -> None:
    # row: state, count, duration count, duration sum, duration max, histogram…
    # (PostgreSQL sums bigints as numeric: int() them.)
    totals.add_row(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
        int(row[4]),
        [int(v) for v in row[5:]],
    )


def _scope(flt: RunFilter) -> list[ColumnElement[bool]]:
    """Which rollup rows to read: the per-automation or per-trigger rows only
    when the filter needs them, else the pre-summed "all" rows."""
    conds: list[ColumnElement[bool]] = []
    if not flt.uses_automation:
        conds.append(R.c.automation == layout.ALL_AUTOMATIONS)
    if flt.uses_trigger:
        conds.append(R.c.trigger != layout.ALL_TRIGGERS)
    else:
        conds.append(R.c.trigger == layout.ALL_TRIGGERS)
    if flt.rollups is not None:
        conds.append(flt.rollups)
    return conds


def _matching_automations(conn: Connection, ws_id: int, flt: RunFilter) -> list[str]:
    """Automations with at least one matching run ever (from the all-time rows)."""
    q = (
        select(R.c.automation)
        .distinct()
        .where(
            R.c.workspace_id == ws_id,
            R.c.level == layout.LEVEL_ALL,
            R.c.automation != layout.ALL_AUTOMATIONS,
            R.c.run_count > 0,
            R.c.trigger != layout.ALL_TRIGGERS
            if flt.uses_trigger
            else R.c.trigger == layout.ALL_TRIGGERS,
            flt.rollups if flt.rollups is not None else true(),
        )
    )
    return sorted(str(a) for a in conn.execute(q).scalars())


def _ranges(rows: list[tuple[int, int, int, int]]) -> Any:
    return (
        values(
            column("day", Integer),
            column("level", Integer),
            column("lo", BigInteger),
            column("hi", BigInteger),
            name="ranges",
        )
        .data(rows)
        .cte("ranges")
    )


def _rollup_sums(
    conn: Connection,
    ws_id: int,
    pieces: list[tuple[int, int, int, int]],
    flt: RunFilter,
    group: Any,
    extra: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """Sums rollup rows per (group, state) over `pieces` of (group id, level, lo, hi)."""
    if not pieces:
        return []
    ranges = _ranges(pieces)
    join = and_(
        R.c.workspace_id == ws_id,
        R.c.level == ranges.c.level,
        R.c.bucket_start >= ranges.c.lo,
        R.c.bucket_start < ranges.c.hi,
    )
    key = group(ranges)
    q = (
        select(key, *_row_columns())
        .select_from(ranges.join(R, join))
        .where(*_scope(flt), *extra)
        .group_by(key, R.c.state)
    )
    return list(conn.execute(q).all())


def _raw_runs(
    conn: Connection,
    ws_id: int,
    lo: int,
    hi: int,
    flt: RunFilter,
    automations: Sequence[str] | None = None,
) -> list[Any]:
    runs = t.runs
    q = select(runs.c.automation, runs.c.state, runs.c.duration).where(
        runs.c.workspace_id == ws_id, runs.c.create_time >= lo, runs.c.create_time < hi
    )
    if automations is not None:
        q = q.where(runs.c.automation.in_(automations))
    if flt.runs is not None:
        q = q.where(flt.runs)
    return list(conn.execute(q).all())


def daily(
    conn: Connection, ws_id: int, bounds: Sequence[int], filter_text: str
) -> list[agg.Totals]:
    """Totals of the runs created in each [bounds[i], bounds[i+1])."""
    flt = compile_run_filter(filter_text)
    days = [agg.Totals() for _ in range(len(bounds) - 1)]
    pieces: list[tuple[int, int, int, int]] = []
    raw: list[tuple[int, int, int]] = []
    for i in range(len(days)):
        p, r = layout.decompose(bounds[i], bounds[i + 1])
        pieces += [(i, level, lo, hi) for level, lo, hi in p]
        raw += [(i, lo, hi) for lo, hi in r]
    extra: list[ColumnElement[bool]] = []
    if flt.uses_automation:
        # Lets the primary key seek per automation instead of scanning them all.
        extra.append(R.c.automation.in_(_matching_automations(conn, ws_id, flt)))
    for row in _rollup_sums(conn, ws_id, pieces, flt, lambda rg: rg.c.day, extra):
        _add_row(days[int(row[0])], row[1:])
    for i, lo, hi in raw:
        for run in _raw_runs(conn, ws_id, lo, hi, flt):
            days[i].add_run(run.state, run.duration)
    return days


def _candidates(conn: Connection, ws_id: int, flt: RunFilter, after: str, limit: int) -> list[str]:
    """Automation ids in order after `after`: every automation of the workspace
    (existing, or deleted with runs left), kept when the filter can match one of
    its runs (some state and trigger satisfy it), so `state = FAILED` still
    lists healthy automations with zero counts while `automation = "a"` lists a."""
    names = union(
        select(t.automations.c.automation.label("automation")).where(
            t.automations.c.workspace_id == ws_id
        ),
        select(R.c.automation.label("automation")).where(
            R.c.workspace_id == ws_id,
            R.c.level == layout.LEVEL_ALL,
            R.c.automation != layout.ALL_AUTOMATIONS,
            R.c.trigger == layout.ALL_TRIGGERS,
            R.c.run_count > 0,
        ),
    ).subquery("names")
    q = select(names.c.automation).where(names.c.automation > after)
    if flt.candidates is not None:
        states = values(column("state", Integer), name="states").data(
            [(int(s),) for s in agg.STATES]
        )
        triggers = values(column("trigger", Integer), name="triggers").data(
            [(tr,) for tr in layout.TRIGGERS]
        )
        sc, tc = states.cte("states"), triggers.cte("triggers")
        cond = flt.candidates(names.c.automation, sc.c.state, tc.c.trigger)
        exists = select(literal_column("1")).select_from(sc.join(tc, true())).where(cond).exists()
        q = q.where(exists)
    q = q.order_by(names.c.automation).limit(limit)
    return [str(a) for a in conn.execute(q).scalars()]


def per_automation(
    conn: Connection,
    ws_id: int,
    lo: int | None,
    hi: int | None,
    filter_text: str,
    after: str,
    limit: int,
) -> tuple[list[agg.AutomationTotals], bool]:
    """Totals per automation of the runs created in [lo, hi) (None: open), in
    automation id order after `after`; and whether more automations follow."""
    flt = compile_run_filter(filter_text)
    names = _candidates(conn, ws_id, flt, after, limit + 1)
    more = len(names) > limit
    names = names[:limit]
    if not names:
        return [], False
    out = {name: agg.AutomationTotals(name) for name in names}
    p, raw = layout.decompose(lo, hi)
    scoped = RunFilter(flt.rollups, flt.runs, True, flt.uses_trigger, flt.candidates)
    rows = _rollup_sums(
        conn,
        ws_id,
        [(0, level, a, b) for level, a, b in p],
        scoped,
        lambda rg: R.c.automation,
        [R.c.automation.in_(names)],
    )
    for row in rows:
        _add_row(out[str(row[0])].totals, row[1:])
    for a, b in raw:
        for run in _raw_runs(conn, ws_id, a, b, flt, names):
            out[run.automation].totals.add_run(run.state, run.duration)
    runs = t.runs
    for name, item in out.items():
        q = select(runs.c.run, runs.c.create_time, runs.c.state).where(
            runs.c.workspace_id == ws_id, runs.c.automation == name
        )
        if lo is not None:
            q = q.where(runs.c.create_time >= lo)
        if hi is not None:
            q = q.where(runs.c.create_time < hi)
        if flt.runs is not None:
            q = q.where(flt.runs)
        last = conn.execute(
            q.order_by(runs.c.create_time.desc(), runs.c.id.desc()).limit(1)
        ).first()
        if last is not None:
            item.last_run = str(last.run)
            item.last_run_time = int(last.create_time)
            item.last_run_state = int(last.state)
    return list(out.values()), more
