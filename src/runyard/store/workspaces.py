"""Workspaces and their automations (runyard.store.interface.WorkspaceStore)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy import delete as sql_delete

from runyard.aip.errors import not_found
from runyard.aip.listing import ListPlan
from runyard.store import listing
from runyard.store import tables as t
from runyard.store.db import (
    Database,
    Part,
    check_etag,
    etag_of,
    identified,
    insert_new,
    micros,
    workspace_row,
)
from runyard.store.interface import Page
from runyard.store.refs import AutomationRef, WorkspaceRef
from runyard.v1 import automation_pb2, workspace_pb2

Automation = automation_pb2.Automation
Workspace = workspace_pb2.Workspace


def automation_row(
    db: Database, conn: Connection, ref: AutomationRef, *, lock: bool = False
) -> Any:
    """The automation's id, version and body, or NOT_FOUND."""
    ws_id = db.workspace_id(conn, ref.workspace)
    query = select(t.automations.c.id, t.automations.c.version, t.automations.c.body).where(
        t.automations.c.workspace_id == ws_id,
        t.automations.c.automation == ref.automation,
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise not_found("runyard.dev/Automation", ref.name)
    return row


def _automation_columns(a: Automation) -> dict[str, Any]:
    return {
        "display_name": a.display_name,
        "kind": a.kind,
        "config_version": a.config_version,
        "labels": dict(a.labels),
        "create_time": micros(a.create_time),
        "update_time": micros(a.update_time),
    }


class SqlWorkspaces(Part):
    def create_workspace(
        self, ref: WorkspaceRef, workspace: Workspace, request_key: str
    ) -> Workspace:
        now = micros(workspace.create_time)

        def work(conn: Connection) -> Workspace:
            ws = identified(workspace, ref.name)
            row = {
                "organization": ref.organization,
                "workspace": ref.workspace,
                "display_name": ws.display_name,
                "labels": dict(ws.labels),
                "create_time": now,
                "update_time": now,
                "version": 1,
                "body": ws.SerializeToString(),
            }
            insert_new(conn, insert(t.workspaces).values(row), "runyard.dev/Workspace", ref.name)
            return ws

        return self.db.idempotent(request_key, Workspace, work)

    def get_workspace(self, ref: WorkspaceRef) -> Workspace:
        with self.db.read() as conn:
            row = workspace_row(conn, ref, t.workspaces.c.body)
        return Workspace.FromString(row[0])

    def update_workspace(
        self,
        ref: WorkspaceRef,
        mutate: Callable[[Workspace], Workspace],
        etag: str,
        now_us: int,
        validate_only: bool = False,
    ) -> Workspace:
        """Applies `mutate` under a row lock; a non-empty `etag` must be the
        current one. `validate_only` returns the result without writing it."""
        with self.db.write() as conn:
            row = workspace_row(
                conn, ref, t.workspaces.c.id, t.workspaces.c.version, t.workspaces.c.body, lock=True
            )
            check_etag(etag, row.version, ref.name)
            current = Workspace.FromString(row.body)
            updated = mutate(current)
            if updated == current:
                return current  # nothing changes: no new version, no write
            version = row.version + 1
            updated.etag = etag_of(version)
            updated.update_time.FromMicroseconds(now_us)
            if validate_only:
                return updated
            conn.execute(
                update(t.workspaces)
                .where(t.workspaces.c.id == row.id)
                .values(
                    display_name=updated.display_name,
                    labels=dict(updated.labels),
                    update_time=now_us,
                    version=version,
                    body=updated.SerializeToString(),
                )
            )
            return updated

    def list_workspaces(self, organization: str, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            base = select(t.workspaces.c.body).where(t.workspaces.c.organization == organization)
            return listing.page(conn, plan, listing.WORKSPACES, base, t.workspaces.c)

    def is_empty(self) -> bool:
        with self.db.read() as conn:
            return conn.execute(select(t.workspaces.c.id).limit(1)).first() is None

    def create_automation(
        self, ref: AutomationRef, automation: Automation, request_key: str
    ) -> Automation:
        def work(conn: Connection) -> Automation:
            ws_id = self.db.workspace_id(conn, ref.workspace)
            a = identified(automation, ref.name)
            statement = insert(t.automations).values(
                workspace_id=ws_id,
                automation=ref.automation,
                **_automation_columns(a),
                version=1,
                body=a.SerializeToString(),
            )
            insert_new(conn, statement, "runyard.dev/Automation", ref.name)
            return a

        return self.db.idempotent(request_key, Automation, work)

    def get_automation(self, ref: AutomationRef) -> Automation:
        with self.db.read() as conn:
            row = automation_row(self.db, conn, ref)
        return Automation.FromString(row.body)

    def list_automations(self, workspace: WorkspaceRef, plan: ListPlan) -> Page[bytes]:
        with self.db.read() as conn:
            ws_id = self.db.workspace_id(conn, workspace)
            base = select(t.automations.c.body).where(t.automations.c.workspace_id == ws_id)
            return listing.page(conn, plan, listing.AUTOMATIONS, base, t.automations.c)

    def update_automation(
        self, ref: AutomationRef, mutate: Callable[[Automation], Automation], now_us: int
    ) -> Automation:
        with self.db.write() as conn:
            row = automation_row(self.db, conn, ref, lock=True)
            current = Automation.FromString(row.body)
            updated = mutate(current)
            check_etag(updated.etag if updated.etag != current.etag else "", row.version, ref.name)
            version = row.version + 1
            updated.etag = etag_of(version)
            updated.update_time.FromMicroseconds(now_us)
            conn.execute(
                update(t.automations)
                .where(t.automations.c.id == row.id)
                .values(
                    **_automation_columns(updated),
                    version=version,
                    body=updated.SerializeToString(),
                )
            )
            return updated

    def delete_automation(self, ref: AutomationRef, etag: str) -> None:
        with self.db.write() as conn:
            row = automation_row(self.db, conn, ref, lock=True)
            check_etag(etag, row.version, ref.name)
            conn.execute(sql_delete(t.automations).where(t.automations.c.id == row.id))
