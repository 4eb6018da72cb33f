"""Reads that follow a run into the archive (runyard.store.archive moves it
there): GetRun, ListRunEvents and the execution reads fall back to the archive
tables when the current ones miss, and ListRuns/ListExecutions with
show_archived list both tables as one collection.

An archived row's stored body is the message as it was when it moved; its
`archived` and `archive_time` fields are appended as serialized bytes (protobuf
merges concatenated messages), so no body is parsed or rewritten."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import BigInteger, Connection, Select, Table, cast, null, select, union_all

from runyard.aip.errors import already_exists, failed_precondition, not_found
from runyard.aip.filtering import Schema
from runyard.aip.listing import Collection, ListRequest, run_list
from runyard.aip.ordering import OrderField
from runyard.aip.pagination import PageTokenCodec
from runyard.store import listing
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


def _adapted(collection: Collection, source: Any, name: str) -> Collection:
    """`collection` with its columns taken from `source` (a table or subquery
    with the same column names)."""

    def col(column: Any) -> Any:
        return source.c[column.name]

    schema = Schema(
        {k: replace(f, column=col(f.column)) for k, f in collection.schema.fields.items()},
        tuple(col(c) for c in collection.schema.text_fields),
    )
    orders = {k: replace(o, column=col(o.column)) for k, o in collection.order_fields.items()}
    tiebreaker = tuple(OrderField(o.name, col(o.column), o.nullable) for o in collection.tiebreaker)
    return replace(collection, name=name, schema=schema, order_fields=orders, tiebreaker=tiebreaker)


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
# Their own names: a page token of one is refused by the other, so a token
# stays bound to show_archived.
RUNS_ALL = _adapted(listing.RUNS, RUNS_ALL_ROWS, "runs+archived")
EXECUTIONS_ALL = _adapted(listing.EXECUTIONS, EXECUTIONS_ALL_ROWS, "executions+archived")
RUN_EVENTS_ARCHIVED = _adapted(listing.RUN_EVENTS, t.run_events_archive, "run_events")


def _page(
    conn: Connection,
    collection: Collection,
    base: Select[Any],
    params: ListRequest,
    codec: PageTokenCodec,
    message: type[Message],
) -> Page[bytes]:
    result = run_list(conn, base, collection, params, codec)
    bodies = [stamped(row.body, row.archive_time, message) for row in result.rows]
    return Page(bodies, result.next_page_token, result.total_size)


def archived_run(conn: Connection, ws_id: int, ref: RunRef) -> Any:
    """The archived run's row (id, body, archive_time), or None."""
    return conn.execute(
        select(RA.c.id, RA.c.body, RA.c.archive_time).where(
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


def refuse_taken(conn: Connection, ws_id: int, ref: RunRef) -> None:
    """ALREADY_EXISTS when a new run would take an archived run's name."""
    if archived_run(conn, ws_id, ref) is not None:
        raise already_exists("runyard.dev/Run", ref.name)


def list_runs(
    conn: Connection, ws_id: int, parent: AutomationRef, params: ListRequest, codec: PageTokenCodec
) -> Page[bytes]:
    """ListRuns with show_archived: current and archived runs in one order."""
    u = RUNS_ALL_ROWS
    base = select(u.c.body, u.c.archive_time).where(u.c.workspace_id == ws_id)
    if parent.automation != "-":
        base = base.where(u.c.automation == parent.automation)
    return _page(conn, RUNS_ALL, base, params, codec, Run)


def list_run_events(
    conn: Connection, ws_id: int, parent: RunRef, params: ListRequest, codec: PageTokenCodec
) -> Page[bytes]:
    """An archived run's timeline (NOT_FOUND when the run is not archived either)."""
    row = archived_run(conn, ws_id, parent)
    if row is None:
        raise not_found("runyard.dev/Run", parent.name)
    ev = t.run_events_archive
    base = select(ev.c.body).where(ev.c.run_id == row.id)
    result = run_list(conn, base, RUN_EVENTS_ARCHIVED, params, codec)
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


def list_executions(
    conn: Connection, ws_id: int, params: ListRequest, codec: PageTokenCodec
) -> Page[bytes]:
    """ListExecutions with show_archived."""
    u = EXECUTIONS_ALL_ROWS
    base = select(u.c.body, u.c.archive_time).where(u.c.workspace_id == ws_id)
    return _page(conn, EXECUTIONS_ALL, base, params, codec, Execution)
