"""runyard.v1.RunService: reads, lists and the lifecycle methods of runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from runyard.aip.errors import invalid_argument, required, unavailable
from runyard.aip.names import generated_id, validate_id
from runyard.api import aggregates, names
from runyard.api.context import actor, list_plan, reading, request_key, writing
from runyard.api.pages import framed_response
from runyard.api.watch import Watcher
from runyard.domain import runs as machine
from runyard.gateway.framed import Framed
from runyard.store import listing
from runyard.store.interface import AggregateStore, AsyncRunReads, RunStore
from runyard.store.refs import RunRef
from runyard.v1 import run_pb2, run_service_pb2, run_service_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Run = run_pb2.Run
MAX_REASON = 1024


def _reason(value: str, *, needed: bool) -> str:
    reason = value.strip()
    if needed and not reason:
        raise required("reason")
    if len(reason) > MAX_REASON:
        raise invalid_argument("reason", f"must be at most {MAX_REASON} characters", "TOO_LONG")
    return reason


class RunService(run_service_pb2_grpc.RunServiceServicer):
    """The list methods answer with their page as framed bytes (runyard.api.pages):
    grpc sends them as they are, the in-process gateway encodes their JSON from
    them, anything else reads the parsed message (runyard.gateway.framed)."""

    def __init__(
        self,
        store: RunStore,
        aggregates: AggregateStore,
        watcher: Watcher | None = None,
        async_reads: AsyncRunReads | None = None,
    ) -> None:
        self.store = store
        self.aggregates = aggregates
        self.watcher = watcher
        # GetRun, ListRuns and ListRunEvents awaited on the event loop where the store has them
        # (PostgreSQL: runyard.store.async_reads), else on store threads.
        self.async_reads = async_reads

    async def GetRun(self, request: run_service_pb2.GetRunRequest, context: Ctx) -> Run:
        ref = names.run(request.name)
        if self.async_reads is not None:
            return await self.async_reads.get_run(ref)
        return await reading(self.store.get_run, ref)

    async def ListRuns(
        self, request: run_service_pb2.ListRunsRequest, context: Ctx
    ) -> Framed[run_service_pb2.ListRunsResponse]:
        parent = names.automation(request.parent, "parent", wildcard=True)
        plan = list_plan(request, listing.RUNS, self.store.page_tokens)
        if self.async_reads is not None:
            page = await self.async_reads.list_runs(parent, plan)
        else:
            page = await reading(self.store.list_runs, parent, plan)
        return framed_response(run_service_pb2.ListRunsResponse, page)

    async def CreateRun(self, request: run_service_pb2.CreateRunRequest, context: Ctx) -> Run:
        parent = names.automation(request.parent, "parent")
        if not request.HasField("run"):
            raise required("run")
        if request.run_id:
            validate_id("run_id", request.run_id)
        run, change = machine.new_run(request.run, actor(context))
        ref = RunRef(parent, request.run_id or generated_id("r"))
        key = request_key("CreateRun", request.parent, request.request_id, request)
        return await writing(self.store.loop_writes, self.store.create_run, ref, run, change, key)

    async def _transition(
        self,
        method: str,
        request: Any,
        action: machine.Action,
        context: Ctx,
        reason: str = "",
    ) -> Run:
        name, etag = request.name, request.etag
        ref = names.run(name)
        key = request_key(method, name, request.request_id, request)
        who = actor(context)

        def apply(run: Run, paused_from: int) -> machine.Transition:
            return machine.transition(run, paused_from, action, who, reason=reason)

        return await writing(self.store.loop_writes, self.store.change_run, ref, etag, key, apply)

    async def PauseRun(self, request: run_service_pb2.PauseRunRequest, context: Ctx) -> Run:
        names.run(request.name)
        reason = _reason(request.reason, needed=True)
        return await self._transition(
            "PauseRun",
            request,
            machine.Action.PAUSE,
            context,
            reason,
        )

    async def ContinueRun(self, request: run_service_pb2.ContinueRunRequest, context: Ctx) -> Run:
        return await self._transition(
            "ContinueRun",
            request,
            machine.Action.CONTINUE,
            context,
        )

    async def CancelRun(self, request: run_service_pb2.CancelRunRequest, context: Ctx) -> Run:
        names.run(request.name)
        reason = _reason(request.reason, needed=False)
        return await self._transition(
            "CancelRun",
            request,
            machine.Action.CANCEL,
            context,
            reason,
        )

    async def RetryRun(self, request: run_service_pb2.RetryRunRequest, context: Ctx) -> Run:
        ref = names.run(request.name)
        key = request_key("RetryRun", request.name, request.request_id, request)
        who = actor(context)

        def build(old: Run) -> tuple[Run, run_pb2.RunEvent.StateChange]:
            return machine.retry_of(old, who)

        return await writing(
            self.store.loop_writes,
            self.store.retry_run,
            ref,
            generated_id("r"),
            request.etag,
            key,
            build,
        )

    async def ListRunEvents(
        self, request: run_service_pb2.ListRunEventsRequest, context: Ctx
    ) -> Framed[run_service_pb2.ListRunEventsResponse]:
        parent = names.run(request.parent, "parent")
        plan = list_plan(request, listing.RUN_EVENTS, self.store.page_tokens)
        if self.async_reads is not None:
            page = await self.async_reads.list_run_events(parent, plan)
        else:
            page = await reading(self.store.list_run_events, parent, plan)
        return framed_response(run_service_pb2.ListRunEventsResponse, page)

    async def WatchRunEvents(
        self, request: run_service_pb2.WatchRunEventsRequest, context: Ctx
    ) -> AsyncIterator[run_service_pb2.WatchRunEventsResponse]:
        async for response in self._watcher().run_events(request, context):
            yield response

    async def WatchRuns(
        self, request: run_service_pb2.WatchRunsRequest, context: Ctx
    ) -> AsyncIterator[run_service_pb2.WatchRunsResponse]:
        async for response in self._watcher().runs(request, context):
            yield response

    def _watcher(self) -> Watcher:
        if self.watcher is None:
            raise unavailable("streams are not served by this server")
        return self.watcher

    async def QueryDailyRunAggregates(
        self, request: run_service_pb2.QueryDailyRunAggregatesRequest, context: Ctx
    ) -> run_service_pb2.QueryDailyRunAggregatesResponse:
        return await reading(aggregates.query_daily, self.aggregates, request)

    async def QueryAutomationRunAggregates(
        self, request: run_service_pb2.QueryAutomationRunAggregatesRequest, context: Ctx
    ) -> run_service_pb2.QueryAutomationRunAggregatesResponse:
        return await reading(aggregates.query_automations, self.aggregates, request)
