"""GetRun, ListRuns and ListRunEvents pages awaited on the event loop, on PostgreSQL.

A read there mostly waits on the network. Run on a store thread it costs two
thread hand-overs (the call out, the result back through the loop's wake-up
pipe) and SQLAlchemy's connection checkout, execution options and return,
several times the Python work of the query itself (docs/performance.md).
Here the statement goes out on an async connection of the event loop's own
(runyard.store.async_pool) and the loop waits for the answer with every
other call it serves.

Only the common case runs here: a run, or a page whose shape was prepared
already (runyard.aip.sql.prepared), in a workspace whose id is known. The
rest (the first page of a shape, archived runs, total_size, an empty page
that must tell a missing automation from one without runs, a run not found)
is the synchronous store's, on a thread, with the same answers and errors."""

from __future__ import annotations

import asyncio
from typing import Any

from runyard.aip.listing import ListPlan
from runyard.store import listing
from runyard.store.async_pool import AsyncPool
from runyard.store.interface import Page
from runyard.store.refs import AutomationRef, RunRef
from runyard.store.run_bases import (
    RUN_BODY,
    RUN_ID,
    events_page_statement,
    page_of,
    run_key,
    runs_page_statement,
)
from runyard.store.runs import SqlRuns
from runyard.v1 import run_pb2

Run = run_pb2.Run


class PgRunReads:
    """runyard.store.interface.AsyncRunReads over `runs` (a PostgreSQL store)."""

    def __init__(self, runs: SqlRuns, pool: AsyncPool) -> None:
        self.runs = runs
        self.pool = pool

    async def get_run(self, ref: RunRef) -> Run:
        ws_id = self.runs.db.known_workspace_id(ref.automation.workspace)
        if ws_id is not None:
            rows = await self.pool.fetch(RUN_BODY.pyformat, run_key(ref, ws_id))
            if rows:
                return Run.FromString(rows[0][0])
        # Not found here: archived, or NOT_FOUND, as the store says.
        return await asyncio.to_thread(self.runs.get_run, ref)

    async def list_runs(self, parent: AutomationRef, plan: ListPlan) -> Page[bytes]:
        found = self._statement(parent, plan)
        if found is not None:
            rows = await self.pool.fetch(*found)
            if rows or parent.automation == "-":
                return page_of(plan, rows)
        return await asyncio.to_thread(self.runs.list_runs, parent, plan)

    async def list_run_events(self, parent: RunRef, plan: ListPlan) -> Page[bytes]:
        """The run's id, then its prepared page: two round trips, as on a thread."""
        if plan.collection is not listing.RUN_EVENTS:
            raise TypeError(f"a plan of {plan.collection.name} listed as run events")
        ws_id = self.runs.db.known_workspace_id(parent.automation.workspace)
        if ws_id is not None and not plan.show_total_size:
            found = await self.pool.fetch(RUN_ID.pyformat, run_key(parent, ws_id))
            statement = None
            if found:
                statement = events_page_statement(plan, found[0][0], "postgresql")
            rows = None if statement is None else await self.pool.fetch(*statement)
            # Empty: archived since its id was read, perhaps; the store says.
            if rows:
                return page_of(plan, rows)
        return await asyncio.to_thread(self.runs.list_run_events, parent, plan)

    def _statement(self, parent: AutomationRef, plan: ListPlan) -> tuple[str, Any] | None:
        if plan.collection is not listing.RUNS:
            raise TypeError(f"a plan of {plan.collection.name} listed as runs")
        ws_id = self.runs.db.known_workspace_id(parent.workspace)
        return runs_page_statement(parent, plan, ws_id, "postgresql")

    async def close(self) -> None:
        await self.pool.close()
