"""runyard.v1.RunBatchService: bulk actions on runs, each a long-running
operation (runyard.jobs.worker does the work; this validates and records it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from runyard.aip.errors import invalid_argument
from runyard.aip.names import generated_id
from runyard.api import names
from runyard.api.context import actor, blocking, reading, request_key
from runyard.api.runs import _reason
from runyard.jobs import actions, retention
from runyard.store.interface import RetentionStore, RunSelection
from runyard.store.refs import OperationRef, RunRef
from runyard.v1 import operation_pb2, run_batch_service_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Operation = operation_pb2.Operation
Meta = operation_pb2.OperationMetadata
MAX_NAMES = 1000
MAX_RATE = 10_000.0


def _names(request: Any, parent: Any) -> list[RunRef]:
    if len(request.names) > MAX_NAMES:
        raise invalid_argument("names", f"at most {MAX_NAMES} names", "TOO_MANY_NAMES")
    if request.names and request.filter:
        raise invalid_argument("filter", "give a filter or names, not both", "FILTER_AND_NAMES")
    refs: dict[str, RunRef] = {}
    for i, name in enumerate(request.names):
        ref = names.run(name, f"names[{i}]")
        if ref.automation.workspace != parent.workspace or parent.automation not in (
            "-",
            ref.automation.automation,
        ):
            raise invalid_argument(f"names[{i}]", "must be a run of parent", "NOT_UNDER_PARENT")
        refs.setdefault(ref.name, ref)  # a run named twice is acted on once
    return list(refs.values())


class RunBatchService(run_batch_service_pb2_grpc.RunBatchServiceServicer):
    def __init__(self, store: RetentionStore, wake: Callable[[], None]) -> None:
        self.store = store
        self.wake = wake

    async def _start(self, method: str, action: int, request: Any, context: Ctx) -> Operation:
        parent = names.automation(request.parent, "parent", wildcard=True)
        reason = _reason(request.reason, needed=action == Meta.PAUSE)
        rate = request.max_runs_per_second
        if not 0 <= rate <= MAX_RATE:
            raise invalid_argument(
                "max_runs_per_second", f"must be between 0 and {MAX_RATE:g}", "OUT_OF_RANGE"
            )
        selection = RunSelection(parent, request.filter, _names(request, parent))
        who = actor(context)
        meta = Meta(
            action=action,  # type: ignore[arg-type]
            state=Meta.PENDING,
            parent=parent.name,
            filter=request.filter,
            name_count=len(selection.names),
            reason=reason,
            requester=who.name,
            max_runs_per_second=rate,
        )
        meta.create_time.FromMicroseconds(who.now_us)
        meta.update_time.FromMicroseconds(who.now_us)
        if request.validate_only:
            count = await blocking(self.store.count_runs, selection, actions.states_of(action))
            meta.matched_count = count
            meta.validate_only = True
            meta.state = Meta.SUCCEEDED
            return Operation(metadata=meta, done=True)
        ref = OperationRef(parent.workspace, generated_id("op"))
        key = request_key(method, request.parent, request.request_id, request)
        op = await blocking(
            self.store.create_operation, ref, Operation(metadata=meta), selection, key
        )
        self.wake()
        return op

    async def BatchCancelRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._start("BatchCancelRuns", Meta.CANCEL, request, context)

    async def BatchPauseRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._start("BatchPauseRuns", Meta.PAUSE, request, context)

    async def BatchContinueRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._start("BatchContinueRuns", Meta.CONTINUE, request, context)

    async def BatchRetryRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._start("BatchRetryRuns", Meta.RETRY, request, context)

    async def _retention(self, method: str, action: int, request: Any, context: Ctx) -> Operation:
        ref = names.workspace(request.parent, "parent")
        workspace = await reading(self.store.get_workspace, ref)
        who = actor(context)
        older_than = request.older_than if request.HasField("older_than") else None
        cutoff = retention.cutoff_us(action, workspace, older_than, who.now_us)
        start = retention.Start(action, ref, cutoff, who.name, who.now_us)
        if request.validate_only:
            return await blocking(start.count, self.store)
        key = request_key(method, request.parent, request.request_id, request)
        op = await blocking(start.create, self.store, key)
        self.wake()
        return op

    async def ArchiveRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._retention("ArchiveRuns", Meta.ARCHIVE, request, context)

    async def PurgeArchivedRuns(self, request: Any, context: Ctx) -> Operation:
        return await self._retention("PurgeArchivedRuns", Meta.PURGE, request, context)
