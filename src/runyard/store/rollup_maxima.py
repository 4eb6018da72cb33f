"""Rollup maxima read again from the runs: a maximum cannot be subtracted,
so a change that takes a duration away from a bucket (rare: a run that
already had one changes) sets the bucket's duration_max from its runs
(runyard.store.rollups)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from runyard.store import layout
from runyard.store import statements as st

# (level, automation, bucket_start, state, trigger), as runyard.store.rollups keys rows.
Key = tuple[int, str, int, int, int]


@functools.lru_cache(maxsize=8)
def _max_sql(by_automation: bool, by_trigger: bool, spanned: bool) -> st.Sql:
    """Sets one rollup row's duration_max to its runs' maximum (an index on
    the runs serves each variant's conditions)."""
    conds = ["workspace_id = :workspace_id", "state = :state", "duration IS NOT NULL"]
    if by_automation:
        conds.append("automation = :automation")
    if by_trigger:
        conds.append('"trigger" = :trigger')
    if spanned:
        conds += ["create_time >= :lo", "create_time < :hi"]
    return st.Sql(
        "UPDATE run_rollups SET duration_max ="
        f" (SELECT coalesce(max(duration), 0) FROM runs WHERE {' AND '.join(conds)})"
        " WHERE workspace_id = :workspace_id AND level = :level AND automation = :automation"
        ' AND bucket_start = :bucket_start AND state = :state AND "trigger" = :trigger'
    )


def statements(workspace_id: int, keys: Iterable[Key]) -> list[st.Statement]:
    """A maximum cannot be subtracted: read it again from the runs (rare: only
    when a run that already had a duration changes)."""
    out: list[st.Statement] = []
    for level, automation, start, state, trigger in sorted(set(keys)):
        lo, hi = layout.bucket_span(level, start)
        sql = _max_sql(
            automation != layout.ALL_AUTOMATIONS, trigger != layout.ALL_TRIGGERS, lo is not None
        )
        params = {
            "workspace_id": workspace_id,
            "level": level,
            "automation": automation,
            "bucket_start": start,
            "state": state,
            "trigger": trigger,
            "lo": lo,
            "hi": hi,
        }
        out.append((sql, params, False))
    return out
