"""The aggregate queries: sums of rollup rows (runyard.store.rollups) over the
buckets that tile each requested range, plus the few runs in sub-quarter edges
read from the runs table itself, so every answer is exact (durations'
percentiles within the histogram's precision).

Cost is rows read times their 60 columns, so a local day that is not a UTC
day (9 hour and four-hour rows per state in New York in winter) is read as
its UTC day plus and minus the hours between the two midnights when
that reads fewer rows (3 per state in New York: the day, a four-hour and an
hour row). Unfiltered by automation or trigger, the rows come back as they
are and are folded per day by column in C (SQLite's per-value sum steps cost
more); a day's maximum, which does not subtract, comes from its pieces'
maxima, or from a one-column query over its plain cover when they tie. The
ranges travel as one JSON parameter, so each statement's SQL is the same on
every call and built once (runyard.store.rollup_reads).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
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
from runyard.store.covers import plain_cover, signed_cover
from runyard.store.filters import RunFilter, compile_run_filter
from runyard.store.rollup_reads import (
    R,
    json_rows,
    rollup_rows,
    rollup_sums,
    row_columns,
    row_values,
)


def _add_row(totals: agg.Totals, row: Sequence[Any]) -> None:
    # row: state, count, duration count, duration sum, duration max, histogram…
    totals.add_row(row[0], row[1], row[2], row[3], row[4], row[5:])


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


def _fold(totals: agg.Totals, rows: Sequence[Sequence[Any]], sign: int) -> None:
    """Adds (sign 1) or takes away (-1) rollup sum rows (group, state, count,
    duration count, duration sum, maximum, histogram…) at once: the columns
    are summed by zip, map and sum in C, not value by value in Python (~60
    values a row). Maxima are left to the caller."""
    if not rows:
        return
    for row in rows:
        totals.by_state[row[1]] += sign * row[2]
    sums = list(map(sum, zip(*rows, strict=True)))
    combine = operator.add if sign > 0 else operator.sub
    totals.duration_count = combine(totals.duration_count, sums[3])
    totals.duration_sum = combine(totals.duration_sum, sums[4])
    totals.hist = list(map(combine, totals.hist, sums[6:]))


def _signed_max(plus: Sequence[Sequence[Any]], minus: Sequence[Sequence[Any]]) -> int | None:
    """The maximum of a day read as plus pieces minus pieces, when the pieces'
    own maxima settle it: the largest plus maximum, if it exceeds every minus
    piece's, lies outside them all (every minus piece is inside a plus piece),
    so in the day. None when they tie (the plain cover must say)."""
    top = max((row[5] for row in plus), default=0)
    if top == 0 or top > max((row[5] for row in minus), default=0):
        return top
    return None


def daily(
    conn: Connection, ws_id: int, bounds: Sequence[int], filter_text: str
) -> list[agg.Totals]:
    """Totals of the runs created in each [bounds[i], bounds[i+1])."""
    flt = compile_run_filter(filter_text)
    days = [agg.Totals() for _ in range(len(bounds) - 1)]
    # Each distinct piece is read once, then added to or taken from every day
    # using it (the stretch between two midnights ends one day and starts the next).
    uses: dict[layout.Piece, list[tuple[int, bool]]] = {}
    signed: set[int] = set()
    raw: list[tuple[int, int, int]] = []
    for i in range(len(days)):
        cover = signed_cover(bounds[i], bounds[i + 1])
        if cover is None:
            p, r = plain_cover(bounds[i], bounds[i + 1])
            for piece in p:
                uses.setdefault(piece, []).append((i, True))
            raw += [(i, lo, hi) for lo, hi in r]
            continue
        signed.add(i)
        for pieces_, add in ((cover[0], True), (cover[1], False)):
            for piece in pieces_:
                uses.setdefault(piece, []).append((i, add))
    automations = None
    if flt.uses_automation:
        # Lets the primary key seek per automation instead of scanning them all.
        automations = _matching_automations(conn, ws_id, flt)
    pieces = list(uses)
    ranges = [(k, level, lo, hi) for k, (level, lo, hi) in enumerate(pieces)]
    plus: list[list[Any]] = [[] for _ in days]
    minus: list[list[Any]] = [[] for _ in days]
    # Without automation or trigger in the filter a piece holds one row per
    # bucket and state (the pre-summed "all" rows), mostly one bucket: SQLite's
    # per-value sum steps cost more than handing the rows over and folding
    # them by column (~10 vs ~3 ms for 91 New York days, docs/performance.md).
    single = not flt.uses_automation and not flt.uses_trigger
    for row in rollup_rows(
        conn,
        ws_id,
        ranges,
        flt,
        filter_text,
        row_values if single else row_columns,
        lambda rg, c: rg.c.grp,
        automations,
        summed=not single,
    ):
        for i, add in uses[pieces[row[0]]]:
            (plus if add else minus)[i].append(row)
    plain: list[tuple[int, int, int, int]] = []  # covers of days whose maxima tie
    for i, d in enumerate(days):
        _fold(d, plus[i], 1)
        _fold(d, minus[i], -1)
        if i not in signed:
            d.duration_max = max((row[5] for row in plus[i]), default=0)
            continue
        d_max = _signed_max(plus[i], minus[i])
        if d_max is not None:
            d.duration_max = d_max
            continue
        p, _ = plain_cover(bounds[i], bounds[i + 1])
        plain += [(i, level, lo, hi) for level, lo, hi in p]
    for i, d_max in rollup_rows(
        conn,
        ws_id,
        plain,
        flt,
        filter_text,
        lambda c: [func.max(c.duration_max)],
        lambda rg, c: rg.c.grp,
        automations,
        by_state=False,
    ):
        days[i].duration_max = max(days[i].duration_max, d_max)
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
    rows = rollup_sums(
        conn,
        ws_id,
        [(0, level, a, b) for level, a, b in p],
        scoped,
        filter_text,
        lambda rg, c: c.automation,
        names,
    )
    for row in rows:
        _add_row(out[str(row[0])].totals, row[1:])
    for a, b in raw:
        for run in _raw_runs(conn, ws_id, a, b, flt, names):
            out[run.automation].totals.add_run(run.state, run.duration)
    for row in _last_runs(conn, ws_id, lo, hi, flt, names):
        item = out[row.automation]
        item.last_run = str(row.run)
        item.last_run_time = int(row.create_time)
        item.last_run_state = int(row.state)
    return list(out.values()), more


def _json_names(conn: Connection) -> Any:
    """A FROM of one `automation` column from the JSON rows bound as `names`."""
    return json_rows(conn, "names", (("automation", String),))


def _last_runs(
    conn: Connection,
    ws_id: int,
    lo: int | None,
    hi: int | None,
    flt: RunFilter,
    names: Sequence[str],
) -> list[Any]:
    """Each automation's most recently created run in [lo, hi) matching the
    filter, in one statement: per name, one seek down ix_runs_ws_auto_ct."""
    runs = t.runs
    wanted = _json_names(conn)
    newest = select(runs.c.id).where(
        runs.c.workspace_id == ws_id, runs.c.automation == wanted.c.automation
    )
    if lo is not None:
        newest = newest.where(runs.c.create_time >= lo)
    if hi is not None:
        newest = newest.where(runs.c.create_time < hi)
    if flt.runs is not None:
        newest = newest.where(flt.runs)
    newest = newest.order_by(runs.c.create_time.desc(), runs.c.id.desc()).limit(1)
    ids = select(newest.correlate(wanted).scalar_subquery()).select_from(wanted)
    last = runs.alias("last")
    q = select(last.c.automation, last.c.run, last.c.create_time, last.c.state).where(
        last.c.id.in_(ids)
    )
    return list(conn.execute(q, {"names": json.dumps([[n] for n in names])}).all())
