"""runyard.v1.WorkspaceService."""

from __future__ import annotations

from typing import Any

import grpc

from runyard.aip.errors import invalid_argument, required
from runyard.aip.names import validate_id
from runyard.aip.update_mask import update_paths
from runyard.api import names
from runyard.api.context import blocking, list_plan, now_us, reading, request_key
from runyard.api.pages import framed_response
from runyard.gateway.framed import Framed
from runyard.store import listing
from runyard.store.interface import WorkspaceStore
from runyard.store.refs import WorkspaceRef
from runyard.v1 import workspace_pb2, workspace_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Workspace = workspace_pb2.Workspace

# Fields a caller may update; the rest are OUTPUT_ONLY or IDENTIFIER, and
# ignored in a request body (AIP-203). etag is compared, never written.
WRITABLE = ("display_name", "labels", "run_retention", "archive_retention")


def _check_windows(ws: Workspace) -> None:
    """Retention windows (docs/retention.md), when set, are positive."""
    for field in ("run_retention", "archive_retention"):
        if ws.HasField(field) and getattr(ws, field).ToMicroseconds() <= 0:
            raise invalid_argument(f"workspace.{field}", "must be positive", "OUT_OF_RANGE")


class WorkspaceService(workspace_pb2_grpc.WorkspaceServiceServicer):
    def __init__(self, store: WorkspaceStore) -> None:
        self.store = store

    async def CreateWorkspace(
        self, request: workspace_pb2.CreateWorkspaceRequest, context: Ctx
    ) -> workspace_pb2.Workspace:
        org = names.organization(request.parent)
        if not request.workspace_id:
            raise required("workspace_id")
        validate_id("workspace_id", request.workspace_id)
        if not request.HasField("workspace"):
            raise required("workspace")
        ws = workspace_pb2.Workspace()
        ws.CopyFrom(request.workspace)
        _check_windows(ws)
        now = now_us()
        ws.create_time.FromMicroseconds(now)
        ws.update_time.FromMicroseconds(now)
        ref = WorkspaceRef(org, request.workspace_id)
        key = request_key("CreateWorkspace", request.parent, request.request_id, request)
        return await blocking(self.store.create_workspace, ref, ws, key)

    async def GetWorkspace(
        self, request: workspace_pb2.GetWorkspaceRequest, context: Ctx
    ) -> workspace_pb2.Workspace:
        return await reading(self.store.get_workspace, names.workspace(request.name))

    async def ListWorkspaces(
        self, request: workspace_pb2.ListWorkspacesRequest, context: Ctx
    ) -> Framed[workspace_pb2.ListWorkspacesResponse]:
        org = names.organization(request.parent)
        plan = list_plan(request, listing.WORKSPACES, self.store.page_tokens)
        page = await reading(self.store.list_workspaces, org, plan)
        return framed_response(workspace_pb2.ListWorkspacesResponse, page)

    async def UpdateWorkspace(
        self, request: workspace_pb2.UpdateWorkspaceRequest, context: Ctx
    ) -> Workspace:
        if not request.HasField("workspace"):
            raise required("workspace")
        ref = names.workspace(request.workspace.name, "workspace.name")
        patch = request.workspace
        paths = update_paths(patch, request.update_mask, request.HasField("update_mask"), WRITABLE)
        _check_windows(patch)

        def mutate(current: Workspace) -> Workspace:
            updated = Workspace()
            updated.CopyFrom(current)
            for path in paths:
                updated.ClearField(path)
                if path == "labels":
                    updated.labels.update(patch.labels)
                elif path == "display_name":
                    updated.display_name = patch.display_name
                elif patch.HasField(path):
                    getattr(updated, path).CopyFrom(getattr(patch, path))
            return updated

        return await blocking(
            self.store.update_workspace,
            ref,
            mutate,
            patch.etag,
            now_us(),
            request.validate_only,
        )
