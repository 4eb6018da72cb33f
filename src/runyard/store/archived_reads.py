"""Reads that follow a run into the archive (runyard.store.archive moves it
there): GetRun, ListRunEvents and the execution reads fall back to the archive
tables when the current ones miss, and ListRuns/ListExecutions with
show_archived list both tables as one collection.

An archived row's stored body is the message as it was when it moved; its
`archived` and `archive_time` fields are appended as serialized bytes (protobuf
merges concatenated messages), so no body is parsed or rewritten."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from sqlalchemy import BigInteger, Connection, Select, Table, cast, null, select, union_all

from runyard.aip.errors import already_exists, failed_precondition, not_found
from runyard.aip.listing import ListPlan
from runyard.aip.sql.columns import Columns
from runyard.aip.sql.listing import run_plan
from runyard.store import tables as t
from runyard.store.interface import Page
from runyard.store.refs import AutomationRef, ExecutionRef, RunRef
from runyard.v1 import execution_pb2, run_pb2

Run = run_pb2.Run
Execution = execution_pb2.Execution
RA = t.runs_archive
XA = t.executions_archive


def stamped(body: bytes, archive_time: int | None, message: type[Message]) -> bytes:
    """`body` with archived = true and archive_time appended (unchanged for a
    current row, whose archive_time is None)."""
    if archive_time is None:
        return body
    mark = message(archived=True)  # type: ignore[call-arg]
    mark.archive_time.FromMicroseconds(archive_time)  # type: ignore[attr-defined]
    return body + mark.SerializeToString()


def _both(current: Table, archive: Table, name: str) -> Any:
    """UNION ALL of the current table (archive_time NULL) and its archive. A
    condition on the outer query is pushed into both arms by either database."""
    names = [c.name for c in current.columns]
    return union_all(
        select(*current.columns, cast(null(), BigInteger).label("archive_time")),
        select(*(archive.c[n] for n in names), archive.c.archive_time),
    ).subquery(name)


RUNS_ALL_ROWS = _both(t.runs, RA, "runs_all")
EXECUTIONS_ALL_ROWS = _both(t.executions, XA, "executions_all")
# The plans are the ListRuns/ListExecutions plans: show_archived is one of
# their collections' options, so a page token stays bound to it.


def _page(
    conn: Connection, plan: ListPlan, base: Select[Any], columns: Columns, message: type[Message]
) -> Page[bytes]:
    result = run_plan(conn, base, plan, columns)
    bodies = [stamped(row[0], row[1], message) for row in result.rows]
    return Page(bodies, result.next_page_token, result.total_size)


def archived_run(conn: Connection, ws_id: int, ref: RunRef) -> Any:
    """The archived run's row (id, body, archive_time, last_event), or None."""
    return conn.execute(
        select(RA.c.id, RA.c.body, RA.c.archive_time, RA.c.last_event).where(
            RA.c.workspace_id == ws_id,
            RA.c.automation == ref.automation.automation,
            RA.c.run == ref.run,
        )
    ).first()


def get_run(conn: Connection, ws_id: int, ref: RunRef) -> Run:
    row = archived_run(conn, ws_id, ref)
    if row is None:
        raise not_found("runyard.dev/Run", ref.name)
    return Run.FromString(stamped(row.body, row.archive_time, Run))


def refuse_archived(conn: Connection, ws_id: int, ref: RunRef) -> None:
    """FAILED_PRECONDITION when `ref` is archived: archived runs never change."""
    if archived_run(conn, ws_id, ref) is not None:
        raise failed_precondition(
            "RUN_ARCHIVED",
            f"{ref.name} is archived (its workspace's run_retention has passed) "
            "and can no longer change",
            run=ref.name,
        )


def refuse_taken_execution(conn: Connection, ws_id: int, ref: ExecutionRef) -> None:
    """ALREADY_EXISTS when a new execution would take an archived one's name."""
    taken = conn.execute(
        select(XA.c.id).where(XA.c.workspace_id == ws_id, XA.c.execution == ref.execution)
    ).first()
    if taken is not None:
        raise already_exists("runyard.dev/Execution", ref.name)


def list_runs(conn: Connection, ws_id: int, parent: AutomationRef, plan: ListPlan) -> Page[bytes]:
    """ListRuns with show_archived: current and archived runs in one order."""
    u = RUNS_ALL_ROWS
    base = select(u.c.body, u.c.archive_time).where(u.c.workspace_id == ws_id)
    if parent.automation != "-":
        base = base.where(u.c.automation == parent.automation)
    return _page(conn, plan, base, u.c, Run)


def list_run_events(conn: Connection, ws_id: int, parent: RunRef, plan: ListPlan) -> Page[bytes]:
    """An archived run's timeline (NOT_FOUND when the run is not archived either)."""
    row = archived_run(conn, ws_id, parent)
    if row is None:
        raise not_found("runyard.dev/Run", parent.name)
    ev = t.run_events_archive
    base = select(ev.c.body).where(ev.c.run_id == row.id)
    result = run_plan(conn, base, plan, ev.c)
    return Page([r[0] for r in result.rows], result.next_page_token, result.total_size)


def execution_row(conn: Connection, ws_id: int, ref: ExecutionRef) -> Any:
    """An archived execution's (body, outputs), its body marked archived."""
    row = conn.execute(
        select(XA.c.body, XA.c.outputs, XA.c.archive_time).where(
            XA.c.workspace_id == ws_id, XA.c.execution == ref.execution
        )
    ).first()
    if row is None:
        raise not_found("runyard.dev/Execution", ref.name)
    return (stamped(row.body, row.archive_time, Execution), row.outputs)


def list_executions(conn: Connection, ws_id: int, plan: ListPlan) -> Page[bytes]:
    """ListExecutions with show_archived."""
    u = EXECUTIONS_ALL_ROWS
    base = select(u.c.body, u.c.archive_time).where(u.c.workspace_id == ws_id)
    return _page(conn, plan, base, u.c, Execution)
