"""SQLite's plan for the daily sums read row by row: the ranges outside, one
primary-key seek into the rollups per range. Left to itself (no aggregate to
order by) the planner scans every rollup row of the workspace and seeks the
ranges for each, which took seconds on 1,000,000 runs instead of milliseconds."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from runyard.domain import aggregates as agg
from runyard.store.refs import WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import workspace_pb2


def test_sqlite_seeks_the_rollups_once_per_range(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'runyard.db'}")
    try:
        ws = WorkspaceRef("acme", "plans")
        store.create_workspace(ws, workspace_pb2.Workspace(), "")
        seen: list[tuple[str, Any]] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def grab(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
            seen.append((statement, params))

        bounds = agg.day_bounds(date(2024, 1, 1), date(2024, 1, 31), ZoneInfo("America/New_York"))
        store.daily_run_aggregates(ws, bounds, "")
        statement, params = next(
            (s, p) for s, p in seen if "json_each" in s and "run_rollups.h55" in s
        )
        with store.engine.connect() as conn:
            plan = [
                row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            ]
        assert plan[0].startswith("SCAN rj"), plan
        assert plan[1].startswith("SEARCH run_rollups USING PRIMARY KEY"), plan
        assert "bucket_start>? AND bucket_start<?" in plan[1], plan
    finally:
        store.close()
