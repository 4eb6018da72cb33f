"""runyard.v1.OperationService: long-running operations (AIP-151)."""

from __future__ import annotations

from typing import Any

import grpc

from runyard.api import names
from runyard.api.context import blocking, list_plan, now_us, reading
from runyard.api.pages import framed_response
from runyard.gateway.framed import Framed
from runyard.store import listing
from runyard.store.interface import OperationStore
from runyard.v1 import operation_pb2, operation_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Operation = operation_pb2.Operation


class OperationService(operation_pb2_grpc.OperationServiceServicer):
    def __init__(self, store: OperationStore) -> None:
        self.store = store

    async def GetOperation(
        self, request: operation_pb2.GetOperationRequest, context: Ctx
    ) -> Operation:
        return await reading(self.store.get_operation, names.operation(request.name))

    async def ListOperations(
        self, request: operation_pb2.ListOperationsRequest, context: Ctx
    ) -> Framed[operation_pb2.ListOperationsResponse]:
        parent = names.workspace(request.parent, "parent")
        plan = list_plan(request, listing.OPERATIONS, self.store.page_tokens)
        page = await reading(self.store.list_operations, parent, plan)
        return framed_response(operation_pb2.ListOperationsResponse, page)

    async def CancelOperation(
        self, request: operation_pb2.CancelOperationRequest, context: Ctx
    ) -> Operation:
        ref = names.operation(request.name)
        return await blocking(self.store.cancel_operation, ref, now_us())

    async def ListOperationFailures(
        self, request: operation_pb2.ListOperationFailuresRequest, context: Ctx
    ) -> Framed[operation_pb2.ListOperationFailuresResponse]:
        parent = names.operation(request.parent, "parent")
        plan = list_plan(request, listing.OPERATION_FAILURES, self.store.page_tokens)
        page = await reading(self.store.list_operation_failures, parent, plan)
        return framed_response(operation_pb2.ListOperationFailuresResponse, page)
