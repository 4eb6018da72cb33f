"""The statements a run read is made of, shared by the store's read paths
(SqlRuns through SQLAlchemy, SQLite's quick reads, PostgreSQL's reads on the
event loop), so that each path asks the same questions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from runyard.store import tables as t
from runyard.store.refs import AutomationRef, RunRef
from runyard.store.statements import Sql

# The bases of ListRuns and ListRunEvents, constant so that their pages are
# prepared once per shape (runyard.aip.sql.prepared).
_RUNS_OF_WORKSPACE = select(t.runs.c.body).where(t.runs.c.workspace_id == bindparam("ws"))
_RUNS_OF_AUTOMATION = _RUNS_OF_WORKSPACE.where(t.runs.c.automation == bindparam("automation"))
EVENTS_OF_RUN = select(t.run_events.c.body).where(t.run_events.c.run_id == bindparam("run_id"))

_WHERE_RUN = "WHERE workspace_id = :ws AND automation = :automation AND run = :run"
# A live run's body, and its row id (whose events are its timeline).
RUN_BODY = Sql(f"SELECT body FROM runs {_WHERE_RUN}")
RUN_ID = Sql(f"SELECT id FROM runs {_WHERE_RUN}")


def runs_base(parent: AutomationRef, ws_id: int) -> tuple[Select[Any], dict[str, Any]]:
    """The base query of a ListRuns page of `parent` and its named values."""
    if parent.automation == "-":
        return _RUNS_OF_WORKSPACE, {"ws": ws_id}
    return _RUNS_OF_AUTOMATION, {"ws": ws_id, "automation": parent.automation}


def run_key(ref: RunRef, ws_id: int) -> dict[str, Any]:
    """The named values of RUN_BODY and RUN_ID for `ref`."""
    return {"ws": ws_id, "automation": ref.automation.automation, "run": ref.run}
