"""What the rollups say against what the runs table holds, read on one connection."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from runyard.store import layout
from runyard.store import tables as t


def rolled_and_counted(conn: Connection) -> tuple[dict[int, int], dict[int, int]]:
    """The all-time "all automations, all triggers" rollup count per state, and
    the runs counted per state; equal whenever every change is rolled up."""
    r, runs = t.run_rollups.c, t.runs.c
    rolled: dict[int, int] = dict(
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
    return rolled, counted
