"""The read side of live streams: what a watcher reads each time it is woken.

Each read is one transaction that first reads a high-water mark (a run's
last_event, a workspace's change counter) and then the rows up to it, so a
reader never moves its resume point past a row it has not seen: rows up to the
mark are committed, rows after it are read next time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import grpc
from sqlalchemy import ColumnElement, select

from runyard.aip.errors import ApiError, not_found
from runyard.aip.sql import compile_filter
from runyard.domain.runs import ENDED
from runyard.store import archived_reads, changefeed, listing
from runyard.store import tables as t
from runyard.store.db import Database
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.runs import _automation_exists_or_has_runs, _run_row
from runyard.v1 import run_pb2

BATCH = 500
log = logging.getLogger("runyard.changefeed")


@dataclass
class EventBatch:
    events: list[bytes]
    # The resume point after this batch: every event up to it was examined.
    last: int
    # The run has ended and every one of its events has been examined.
    ended: bool


@dataclass
class ChangeBatch:
    # (seq, create_time, Run body) of each change after the cursor.
    changes: list[Any]
    # The cursor after this batch.
    last: int


def run_event_filter(text: str) -> ColumnElement[bool] | None:
    """The SQL condition of a WatchRunEvents filter (ListRunEvents' fields)."""
    return compile_filter(text, listing.RUN_EVENTS.schema, t.run_events.c)


def _current_or_archived(db: Database, conn: Any, ref: RunRef) -> Any:
    """The run's row (id, workspace_id, last_event, body, archived), or NOT_FOUND."""
    row = _run_row(db, conn, ref, missing_ok=True)
    if row is not None:
        return _RunRow(row.id, row.workspace_id, row.last_event, row.body, False)
    ws_id = db.workspace_id(conn, ref.automation.workspace)
    gone = archived_reads.archived_run(conn, ws_id, ref)
    if gone is None:
        raise not_found("runyard.dev/Run", ref.name)
    return _RunRow(gone.id, ws_id, gone.last_event, gone.body, True)


@dataclass
class _RunRow:
    id: int
    workspace_id: int
    last_event: int
    body: bytes
    archived: bool


class StreamReads:
    """Stream reads on the store's Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def run_ids(self, ref: RunRef) -> tuple[int, int]:
        """(run row id, workspace id) of a run, archived or not, or NOT_FOUND."""
        with self.db.read() as conn:
            row = _current_or_archived(self.db, conn, ref)
            return int(row.id), int(row.workspace_id)

    def parent_workspace_id(self, parent: AutomationRef) -> int:
        """The workspace id of a WatchRuns parent, or NOT_FOUND as ListRuns
        answers it: an automation that neither exists nor ever ran."""
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, parent.workspace)
            if parent.automation != "-":
                _automation_exists_or_has_runs(conn, ws_id, parent)
            return ws_id

    def events_after(
        self, ref: RunRef, after: int, where: ColumnElement[bool] | None, limit: int = BATCH
    ) -> EventBatch:
        with self.db.read() as conn:
            row = _current_or_archived(self.db, conn, ref)
            # An archived run's timeline moved with it (and never grows again).
            e = (t.run_events_archive if row.archived else t.run_events).c
            query = select(e.sequence, e.body).where(
                e.run_id == row.id, e.sequence > after, e.sequence <= row.last_event
            )
            if where is not None:
                query = query.where(where)
            rows = conn.execute(query.order_by(e.sequence).limit(limit)).all()
            state = run_pb2.Run.FromString(row.body).state
        if len(rows) == limit:
            return EventBatch([r.body for r in rows], int(rows[-1].sequence), False)
        last = max(after, int(row.last_event))
        return EventBatch([r.body for r in rows], last, state in ENDED)

    def changes_after(self, parent: AutomationRef, after: int, limit: int = BATCH) -> ChangeBatch:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, parent.workspace)
            head = changefeed.head(conn, ws_id)
            pruned = changefeed.pruned_through(conn, ws_id)
            if after < pruned:
                raise ApiError(
                    grpc.StatusCode.OUT_OF_RANGE,
                    f"the resume token is older than the change feed keeps (changes up to "
                    f"{pruned} of this workspace were pruned); list the runs again and "
                    "watch without a resume token",
                    "RESUME_TOKEN_EXPIRED",
                    {"pruned_through": str(pruned), "resume_point": str(after)},
                )
            rows = changefeed.changes_after(conn, ws_id, parent.automation, after, head, limit)
        if len(rows) == limit:
            return ChangeBatch(rows, int(rows[-1].seq))
        return ChangeBatch(rows, max(after, head))

    def head(self, workspace: WorkspaceRef) -> int:
        with self.db.read() as conn:
            return changefeed.head(conn, self.db.workspace_id(conn, workspace))

    def prune_changes(self, older_than_us: int) -> int:
        with self.db.write() as conn:
            return changefeed.prune(conn, older_than_us)


PRUNE_EVERY_SECONDS = 600.0


async def prune_forever(reads: StreamReads) -> None:
    """Drops change-feed rows older than changefeed.RETENTION_US, every ten minutes."""
    while True:
        try:
            cutoff = time.time_ns() // 1000 - changefeed.RETENTION_US
            removed = await asyncio.to_thread(reads.prune_changes, cutoff)
            if removed:
                log.info("pruned %d change-feed rows", removed)
        except ApiError as exc:
            log.warning("change-feed pruning failed: %s", exc)
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
