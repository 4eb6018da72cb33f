"""Rollup rows read as sums (for runyard.store.aggregates): one statement per
shape, the ranges to read traveling as one JSON parameter, so the SQL text is
the same on every call; the built statements are kept by shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from runyard.store import layout
from runyard.store import tables as t
from runyard.store.filters import RunFilter

R = t.run_rollups
_SUMS = ("run_count", "duration_count", "duration_sum")


def _sum(col: Any) -> Any:
    # PostgreSQL sums bigints as numeric, which psycopg turns into Decimal objects.
    return cast(func.sum(col), BigInteger)


def row_columns(c: Any) -> list[Any]:
    """State, the sums, the maximum and the histogram of rollup columns `c`."""
    return [
        c.state,
        *(_sum(c[name]) for name in _SUMS),
        func.max(c.duration_max),
        *(_sum(c[name]) for name in t.HIST_COLUMNS),
    ]


def row_values(c: Any) -> list[Any]:
    """The same columns as `row_columns`, of single rows (not summed)."""
    return [
        c.state,
        *(c[name] for name in _SUMS),
        c.duration_max,
        *(c[name] for name in t.HIST_COLUMNS),
    ]


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


def json_rows(conn: Connection, name: str, columns: Sequence[tuple[str, Any]]) -> Any:
    """A CTE of typed rows read from the JSON array of arrays bound as `name`,
    so a statement's SQL is the same whatever the rows (and compiled once)."""
    param = bindparam(name, type_=String)
    if conn.dialect.name == "postgresql":
        rows = func.jsonb_array_elements(cast(param, JSONB)).table_valued("value").alias("rj")
        cols = [
            cast(rows.c.value.op("->>")(i), typ).label(col) for i, (col, typ) in enumerate(columns)
        ]
    else:
        rows = func.json_each(param).table_valued("value").alias("rj")
        cols = [
            cast(func.json_extract(rows.c.value, f"$[{i}]"), typ).label(col)
            for i, (col, typ) in enumerate(columns)
        ]
    return select(*cols).select_from(rows).cte(name)


# Built statements by shape (dialect, filter text and scope, the columns and
# group functions, whether automations are named, per state or not): building
# the LATERAL select of ~60 columns cost more than running it on PostgreSQL.
_QUERIES: dict[tuple[Any, ...], Any] = {}
_MAX_QUERIES = 256


def rollup_rows(
    conn: Connection,
    ws_id: int,
    pieces: list[tuple[int, int, int, int]],
    flt: RunFilter,
    filter_text: str,
    columns: Callable[[Any], Sequence[Any]],
    group: Callable[[Any, Any], Any],
    automations: Sequence[str] | None = None,
    by_state: bool = True,
    summed: bool = True,
) -> list[Any]:
    """`columns(c)` of the rollup rows `c` in `pieces` of (group id, level, lo,
    hi), aggregated per (group(ranges, c), state) (or per group), or each row
    as it is (`summed` false); only rows of `automations` when given. `flt` is
    `filter_text` compiled (the statement is kept by the text).

    SQLite seeks each piece's stretch of the primary key on its own. PostgreSQL
    cannot estimate bounds that come from another row and would hash-join the
    whole table against every range; a LATERAL subquery makes it seek per piece."""
    if not pieces:
        return []
    key = (
        conn.dialect.name,
        filter_text,
        flt.uses_automation,
        flt.uses_trigger,
        columns.__code__,
        group.__code__,
        automations is not None,
        by_state,
        summed,
    )
    q = _QUERIES.get(key)
    if q is None:
        q = _rollup_query(conn, flt, columns, group, automations is not None, by_state, summed)
        if len(_QUERIES) >= _MAX_QUERIES:
            _QUERIES.clear()
        _QUERIES[key] = q
    params: dict[str, Any] = {"ranges": json.dumps(pieces), "ws": ws_id}
    if automations is not None:
        params["automations"] = list(automations)
    return list(conn.execute(q, params).all())


def _rollup_query(
    conn: Connection,
    flt: RunFilter,
    columns: Callable[[Any], Sequence[Any]],
    group: Callable[[Any, Any], Any],
    named: bool,
    by_state: bool,
    summed: bool,
) -> Any:
    ranges = json_rows(
        conn,
        "ranges",
        (("grp", Integer), ("level", Integer), ("lo", BigInteger), ("hi", BigInteger)),
    )
    conds = [
        R.c.workspace_id == bindparam("ws", type_=Integer),
        R.c.level == ranges.c.level,
        R.c.bucket_start >= ranges.c.lo,
        R.c.bucket_start < ranges.c.hi,
        *_scope(flt),
    ]
    if named:
        conds.append(R.c.automation.in_(bindparam("automations", expanding=True)))
    if conn.dialect.name == "postgresql":
        # OFFSET 0 keeps the planner from flattening it back into a join.
        rows = select(R).where(*conds).offset(literal_column("0")).lateral("r")
        source, c = ranges.join(rows, true()), rows.c
    else:
        source, c = ranges.join(R, and_(*conds)), R.c
    key = group(ranges, c)
    q = select(key, *columns(c)).select_from(source)
    if not summed:
        # Ordered by the ranges, or SQLite's planner scans the rollups first
        # and seeks the ranges for each row (seconds, not milliseconds).
        return q.order_by(key)
    return q.group_by(*([key, c.state] if by_state else [key]))


def rollup_sums(
    conn: Connection,
    ws_id: int,
    pieces: list[tuple[int, int, int, int]],
    flt: RunFilter,
    filter_text: str,
    group: Callable[[Any, Any], Any],
    automations: Sequence[str] | None = None,
) -> list[Any]:
    """Sums rollup rows per (group, state) over `pieces` of (group id, level, lo, hi)."""
    return rollup_rows(conn, ws_id, pieces, flt, filter_text, row_columns, group, automations)
