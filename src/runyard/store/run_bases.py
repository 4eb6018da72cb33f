"""The statements a run read is made of, shared by the store's read paths
(SqlRuns through SQLAlchemy, SQLite's quick reads, PostgreSQL's reads on the
event loop), so that each path asks the same questions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from runyard.aip.listing import ListPlan
from runyard.aip.sql import prepared
from runyard.store import tables as t
from runyard.store.interface import Page
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


def runs_page_statement(
    parent: AutomationRef, plan: ListPlan, ws_id: int | None, dialect: str
) -> tuple[str, Any] | None:
    """The prepared statement of a ListRuns page for a fast path, or None for
    what only the full path answers: total_size, archived runs, a workspace
    not looked up yet, a shape not prepared yet."""
    if ws_id is None or plan.show_total_size or plan.option("show_archived"):
        return None
    base, values = runs_base(parent, ws_id)
    return prepared.statement(plan, base, dialect, values)


def events_page_statement(plan: ListPlan, run_id: int, dialect: str) -> tuple[str, Any] | None:
    """The prepared statement of a ListRunEvents page of the run `run_id`."""
    return prepared.statement(plan, EVENTS_OF_RUN, dialect, {"run_id": run_id})


def page_of(plan: ListPlan, rows: Any) -> Page[bytes]:
    """A page of stored bodies from a prepared page's rows."""
    kept, token = plan.page(rows)
    return Page([row[0] for row in kept], token, None)
