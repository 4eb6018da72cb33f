"""GetRun, ListRuns and ListRunEvents as single statements on SQLite's quick
connections (runyard.store.quick_reads). Each answers the common case, or
None for SqlRuns to read the full way: a first page of a shape (not prepared
yet), total_size, archived runs, an empty page (it must tell a missing parent
from an idle one), a run not found, a workspace not looked up yet."""

from __future__ import annotations

from runyard.aip.listing import ListPlan
from runyard.store import listing
from runyard.store.db import Database
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
from runyard.v1 import run_pb2

Run = run_pb2.Run


def get_run(db: Database, ref: RunRef) -> Run | None:
    quick = db.quick_reads
    ws_id = None if quick is None else db.known_workspace_id(ref.automation.workspace)
    if quick is None or ws_id is None:
        return None
    found = quick.fetch(RUN_BODY.text, run_key(ref, ws_id))
    return Run.FromString(found[0][0]) if found else None


def list_runs(db: Database, parent: AutomationRef, plan: ListPlan) -> Page[bytes] | None:
    quick = db.quick_reads
    if quick is None or plan.collection is not listing.RUNS:
        return None
    ws_id = db.known_workspace_id(parent.workspace)
    statement = runs_page_statement(parent, plan, ws_id, "sqlite")
    rows = None if statement is None else quick.fetch(*statement)
    if rows is None or (not rows and parent.automation != "-"):
        return None
    return page_of(plan, rows)


def list_run_events(db: Database, parent: RunRef, plan: ListPlan) -> Page[bytes] | None:
    quick = db.quick_reads
    if quick is None or plan.show_total_size or plan.collection is not listing.RUN_EVENTS:
        return None
    ws_id = db.known_workspace_id(parent.automation.workspace)
    found = None if ws_id is None else quick.fetch(RUN_ID.text, run_key(parent, ws_id))
    if not found:
        return None
    statement = events_page_statement(plan, found[0][0], "sqlite")
    rows = None if statement is None else quick.fetch(*statement)
    # Empty: the run may have been archived since its id was read; the full way says.
    if not rows:
        return None
    return page_of(plan, rows)
