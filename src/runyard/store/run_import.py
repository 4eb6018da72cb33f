"""Bulk import of finished run timelines (Store.import_runs: demo and bench
data): one multi-row INSERT … RETURNING for the runs and one for their events;
per-row statements cost ~10x more."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert

from runyard.store import rollups
from runyard.store import tables as t
from runyard.store.db import etag_of, micros
from runyard.store.interface import ImportedRun
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.run_rows import run_columns


def import_runs(
    conn: Connection, ws_id: int, workspace: WorkspaceRef, runs: Sequence[ImportedRun]
) -> None:
    """Inserts `runs` (names, uids and etags set here) with their events and rollups."""
    ids = (
        conn.execute(
            insert(t.runs).returning(t.runs.c.id, sort_by_parameter_order=True),
            [_imported_run_row(ws_id, workspace, item) for item in runs],
        )
        .scalars()
        .all()
    )
    event_rows = [
        row
        for run_id, item in zip(ids, runs, strict=True)
        for row in _imported_event_rows(run_id, workspace, item)
    ]
    if event_rows:
        conn.execute(insert(t.run_events), event_rows)
    rollups.apply_many(conn, ws_id, [(item.automation, item.run) for item in runs])


def _imported_run_row(ws_id: int, workspace: WorkspaceRef, item: ImportedRun) -> dict[str, Any]:
    run = item.run
    run.name = _imported_ref(workspace, item).name
    run.uid = run.uid or str(uuid.uuid4())
    run.etag = etag_of(1)
    return {
        "workspace_id": ws_id,
        "automation": item.automation,
        "run": item.run_id,
        **run_columns(run),
        "paused_from_state": item.paused_from,
        "version": 1,
        "last_event": len(item.events),
        "body": run.SerializeToString(),
    }


def _imported_ref(workspace: WorkspaceRef, item: ImportedRun) -> RunRef:
    return RunRef(AutomationRef(workspace, item.automation), item.run_id)


def _imported_event_rows(
    run_id: int, workspace: WorkspaceRef, item: ImportedRun
) -> list[dict[str, Any]]:
    ref = _imported_ref(workspace, item)
    rows = []
    for seq, event in enumerate(item.events, start=1):
        event.name = ref.event_name(seq)
        event.sequence = seq
        rows.append(
            {
                "run_id": run_id,
                "sequence": seq,
                "type": event.type,
                "node_kind": event.journal.node_kind,
                "create_time": micros(event.create_time),
                "body": event.SerializeToString(),
            }
        )
    return rows
