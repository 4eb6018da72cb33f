"""The List queries of every collection: which rows belong to the parent, and how
their filter, order and page parameters map onto columns (via runyard.aip)."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Connection, Select, select

from runyard.store import tables as t
from runyard.store.interface import ListParams, Page
from runyard.store.refs import AutomationRef, WorkspaceRef
from runyard.v1 import automation_pb2, execution_pb2, run_pb2, workspace_pb2


def _page(
    conn: Connection, query: Select[Any], order: list[Any], params: ListParams, cls: type[Message]
) -> Page[Any]:
    size = params.page_size or 50
    rows = conn.execute(query.order_by(*order).limit(size)).all()
    return Page([cls.FromString(r.body) for r in rows], "")


def list_workspaces(conn: Connection, organization: str, params: ListParams) -> Page[Any]:
    q = select(t.workspaces.c.body).where(t.workspaces.c.organization == organization)
    return _page(conn, q, [t.workspaces.c.workspace], params, workspace_pb2.Workspace)


def list_automations(
    conn: Connection, workspace: WorkspaceRef, ws_id: int, params: ListParams
) -> Page[Any]:
    q = select(t.automations.c.body).where(t.automations.c.workspace_id == ws_id)
    return _page(conn, q, [t.automations.c.automation], params, automation_pb2.Automation)


def list_runs(conn: Connection, parent: AutomationRef, ws_id: int, params: ListParams) -> Page[Any]:
    q = select(t.runs.c.body).where(t.runs.c.workspace_id == ws_id)
    if parent.automation != "-":
        q = q.where(t.runs.c.automation == parent.automation)
    return _page(conn, q, [t.runs.c.create_time.desc(), t.runs.c.id.desc()], params, run_pb2.Run)


def list_run_events(conn: Connection, run_id: int, params: ListParams) -> Page[Any]:
    q = select(t.run_events.c.body).where(t.run_events.c.run_id == run_id)
    return _page(conn, q, [t.run_events.c.sequence], params, run_pb2.RunEvent)


def list_executions(
    conn: Connection, workspace: WorkspaceRef, ws_id: int, params: ListParams
) -> Page[Any]:
    q = select(t.executions.c.body).where(t.executions.c.workspace_id == ws_id)
    return _page(
        conn,
        q,
        [t.executions.c.create_time.desc(), t.executions.c.id.desc()],
        params,
        execution_pb2.Execution,
    )
