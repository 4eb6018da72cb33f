"""runyard.v1.ExecutionService."""

from __future__ import annotations

from typing import Any

import grpc

from runyard.api import names
from runyard.api.context import list_plan, reading
from runyard.api.pages import framed_response
from runyard.gateway.framed import Framed
from runyard.store import listing
from runyard.store.interface import ExecutionStore
from runyard.v1 import execution_pb2, execution_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]


class ExecutionService(execution_pb2_grpc.ExecutionServiceServicer):
    def __init__(self, store: ExecutionStore) -> None:
        self.store = store

    async def GetExecution(
        self, request: execution_pb2.GetExecutionRequest, context: Ctx
    ) -> execution_pb2.Execution:
        return await reading(self.store.get_execution, names.execution(request.name))

    async def ListExecutions(
        self, request: execution_pb2.ListExecutionsRequest, context: Ctx
    ) -> Framed[execution_pb2.ListExecutionsResponse]:
        ws = names.workspace(request.parent, "parent")
        plan = list_plan(request, listing.EXECUTIONS, self.store.page_tokens)
        page = await reading(self.store.list_executions, ws, plan)
        return framed_response(execution_pb2.ListExecutionsResponse, page)

    async def GetExecutionOutputs(
        self, request: execution_pb2.GetExecutionOutputsRequest, context: Ctx
    ) -> execution_pb2.ExecutionOutputs:
        ref = names.execution_outputs(request.name)
        return await reading(self.store.get_execution_outputs, ref)
