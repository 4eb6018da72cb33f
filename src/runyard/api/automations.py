"""runyard.v1.AutomationService."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from runyard.aip.errors import required
from runyard.aip.names import validate_id
from runyard.aip.update_mask import update_paths
from runyard.api import names
from runyard.api.context import blocking, list_plan, now_us, reading, request_key
from runyard.api.pages import framed_response
from runyard.gateway.framed import Framed
from runyard.store import listing
from runyard.store.interface import WorkspaceStore
from runyard.store.refs import AutomationRef
from runyard.v1 import automation_pb2, automation_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Automation = automation_pb2.Automation

# Fields a caller may write; the rest are OUTPUT_ONLY or IDENTIFIER.
WRITABLE = (
    "display_name",
    "description",
    "kind",
    "schedule",
    "revision_id",
    "config_version",
    "labels",
)


class AutomationService(automation_pb2_grpc.AutomationServiceServicer):
    def __init__(self, store: WorkspaceStore) -> None:
        self.store = store

    async def CreateAutomation(
        self, request: automation_pb2.CreateAutomationRequest, context: Ctx
    ) -> Automation:
        ws = names.workspace(request.parent, "parent")
        if not request.automation_id:
            raise required("automation_id")
        validate_id("automation_id", request.automation_id)
        if not request.HasField("automation"):
            raise required("automation")
        a = Automation()
        for field in WRITABLE:
            if field == "labels":
                a.labels.update(request.automation.labels)
            else:
                setattr(a, field, getattr(request.automation, field))
        now = now_us()
        a.create_time.FromMicroseconds(now)
        a.update_time.FromMicroseconds(now)
        ref = AutomationRef(ws, request.automation_id)
        key = request_key("CreateAutomation", request.parent, request.request_id, request)
        return await blocking(self.store.create_automation, ref, a, key)

    async def GetAutomation(
        self, request: automation_pb2.GetAutomationRequest, context: Ctx
    ) -> Automation:
        return await reading(self.store.get_automation, names.automation(request.name))

    async def ListAutomations(
        self, request: automation_pb2.ListAutomationsRequest, context: Ctx
    ) -> Framed[automation_pb2.ListAutomationsResponse]:
        ws = names.workspace(request.parent, "parent")
        plan = list_plan(request, listing.AUTOMATIONS, self.store.page_tokens)
        page = await reading(self.store.list_automations, ws, plan)
        return framed_response(automation_pb2.ListAutomationsResponse, page)

    async def UpdateAutomation(
        self, request: automation_pb2.UpdateAutomationRequest, context: Ctx
    ) -> Automation:
        if not request.HasField("automation"):
            raise required("automation")
        ref = names.automation(request.automation.name, "automation.name")
        patch = request.automation
        paths = update_paths(patch, request.update_mask, request.HasField("update_mask"), WRITABLE)

        def mutate(current: Automation) -> Automation:
            updated = Automation()
            updated.CopyFrom(current)
            for path in paths:
                if path == "labels":
                    updated.labels.clear()
                    updated.labels.update(patch.labels)
                else:
                    setattr(updated, path, getattr(patch, path))
            # A given etag is checked against the stored one by the store.
            updated.etag = patch.etag or current.etag
            return updated

        return await blocking(self.store.update_automation, ref, mutate, now_us())

    async def DeleteAutomation(
        self, request: automation_pb2.DeleteAutomationRequest, context: Ctx
    ) -> empty_pb2.Empty:
        await blocking(self.store.delete_automation, names.automation(request.name), request.etag)
        return empty_pb2.Empty()
