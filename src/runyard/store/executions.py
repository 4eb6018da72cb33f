"""Executions and their outputs (runyard.store.interface.ExecutionStore)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from runyard.aip.errors import ApiError, already_exists, not_found
from runyard.aip.listing import ListPlan
from runyard.store import archived_reads, listing
from runyard.store import tables as t
from runyard.store.db import Database, Part, identified, insert_new, micros, opt_micros
from runyard.store.interface import Page
from runyard.store.refs import ExecutionRef, WorkspaceRef
from runyard.v1 import execution_pb2

Execution = execution_pb2.Execution
ExecutionOutputs = execution_pb2.ExecutionOutputs


def _execution_columns(e: Execution) -> dict[str, Any]:
    return {
        "run": e.run,
        "resource": e.resource,
        "resource_version": e.resource_version,
        "caller": e.caller,
        "state": e.state,
        "failure_reason": e.failure_reason,
        "create_time": micros(e.create_time),
        "start_time": opt_micros(e, "start_time"),
        "end_time": opt_micros(e, "end_time"),
        "duration": e.duration.ToMicroseconds() if e.HasField("duration") else None,
    }


def _execution_row_values(
    ws_id: int, ref: ExecutionRef, execution: Execution, outputs: ExecutionOutputs
) -> tuple[Execution, dict[str, Any]]:
    """The stored execution (named, no etag: executions never change) and its row."""
    e = identified(execution, ref.name, uid=execution.uid, versioned=False)
    out = ExecutionOutputs()
    out.CopyFrom(outputs)
    out.name = ref.outputs_name
    row = {
        "workspace_id": ws_id,
        "execution": ref.execution,
        **_execution_columns(e),
        "body": e.SerializeToString(),
        "outputs": out.SerializeToString(),
    }
    return e, row


def _insert_execution(
    conn: Connection, ws_id: int, ref: ExecutionRef, execution: Execution, outputs: ExecutionOutputs
) -> Execution:
    e, row = _execution_row_values(ws_id, ref, execution, outputs)
    insert_new(conn, insert(t.executions).values(**row), "runyard.dev/Execution", ref.name)
    return e


def _execution_row(db: Database, conn: Connection, ref: ExecutionRef) -> Any:
    ws_id = db.workspace_id(conn, ref.workspace)
    row = conn.execute(
        select(t.executions.c.body, t.executions.c.outputs).where(
            t.executions.c.workspace_id == ws_id,
            t.executions.c.execution == ref.execution,
        )
    ).first()
    if row is None:
        raise not_found("runyard.dev/Execution", ref.name)
    return row


def _current_or_archived(db: Database, conn: Connection, ref: ExecutionRef) -> Any:
    """(body, outputs) of the execution, current or archived with its run."""
    try:
        return _execution_row(db, conn, ref)
    except ApiError as err:
        if err.code != grpc.StatusCode.NOT_FOUND:
            raise
        ws_id = db.workspace_id(conn, ref.workspace)
        return archived_reads.execution_row(conn, ws_id, ref)


class SqlExecutions(Part):
    def record_execution(
        self,
        ref: ExecutionRef,
        execution: Execution,
        outputs: ExecutionOutputs,
        request_key: str = "",
    ) -> Execution:
        def work(conn: Connection) -> Execution:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            archived_reads.refuse_taken_execution(conn, ws_id, ref)
            return _insert_execution(conn, ws_id, ref, execution, outputs)

        return self.db.idempotent(request_key, Execution, work)

    def import_executions(
        self,
        workspace: WorkspaceRef,
        items: Sequence[tuple[str, Execution, ExecutionOutputs]],
    ) -> list[Execution]:
        """Records executions with their outputs, all in one transaction and one
        multi-row INSERT (per-row statements made the demo's start ~10x slower);
        a name taken already fails the whole import with ALREADY_EXISTS."""
        if not items:
            return []
        with self.db.write() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            made = [
                _execution_row_values(ws_id, ExecutionRef(workspace, eid), e, out)
                for eid, e, out in items
            ]
            try:
                with conn.begin_nested():
                    conn.execute(insert(t.executions), [row for _, row in made])
            except IntegrityError:
                first = ExecutionRef(workspace, items[0][0]).name
                raise already_exists(
                    "runyard.dev/Execution", f"{first} (or another of the {len(items)} imported)"
                ) from None
            return [e for e, _ in made]

    def get_execution(self, ref: ExecutionRef) -> Execution:
        with self.db.read() as conn:
            return Execution.FromString(_current_or_archived(self.db, conn, ref)[0])

    def get_execution_outputs(self, ref: ExecutionRef) -> ExecutionOutputs:
        with self.db.read() as conn:
            return ExecutionOutputs.FromString(_current_or_archived(self.db, conn, ref)[1])

    def list_executions(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            if plan.option("show_archived"):
                return archived_reads.list_executions(conn, ws_id, plan)
            base = select(t.executions.c.body).where(t.executions.c.workspace_id == ws_id)
            return listing.page(conn, plan, listing.EXECUTIONS, base, t.executions.c)
