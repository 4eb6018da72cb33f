"""Run aggregates read from the rollups (runyard.store.interface.AggregateStore).

The queries are in runyard.store.aggregates, the rollups kept on write in
runyard.store.rollups; this part opens the transactions around them."""

from __future__ import annotations

from collections.abc import Sequence

from runyard.domain.aggregates import AutomationTotals, Totals
from runyard.store import aggregates, rollups
from runyard.store.db import Part
from runyard.store.refs import WorkspaceRef


class SqlAggregates(Part):
    def daily_run_aggregates(
        self, workspace: WorkspaceRef, bounds: Sequence[int], filter: str
    ) -> list[Totals]:
        with self.db.read() as conn:
            return aggregates.daily(conn, self.db.workspace_id(conn, workspace), bounds, filter)

    def automation_run_aggregates(
        self,
        workspace: WorkspaceRef,
        start_us: int | None,
        end_us: int | None,
        filter: str,
        after: str,
        limit: int,
    ) -> tuple[list[AutomationTotals], bool]:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            return aggregates.per_automation(conn, ws_id, start_us, end_us, filter, after, limit)

    def rebuild_rollups(self) -> int:
        """Recomputes every rollup from the runs table; returns how many runs were counted."""
        with self.db.write() as conn:
            return rollups.rebuild(conn)
