"""runyard.v1.RunnerService: what runners report about the runs they execute."""

from __future__ import annotations

from typing import Any

import grpc

from runyard.aip.errors import ApiError, invalid_argument, required
from runyard.aip.names import generated_id, validate_id
from runyard.api import names
from runyard.api.context import actor, blocking, now_us, reading, request_key, writing
from runyard.domain import runs as machine
from runyard.store.interface import ExecutionStore, RunStore
from runyard.store.refs import ExecutionRef, RunRef
from runyard.v1 import execution_pb2, run_pb2, runner_service_pb2, runner_service_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
Run = run_pb2.Run
MAX_ENTRIES = 1000


class RunnerService(runner_service_pb2_grpc.RunnerServiceServicer):
    def __init__(self, store: RunStore, executions: ExecutionStore) -> None:
        self.store = store
        self.executions = executions

    async def StartRun(self, request: runner_service_pb2.StartRunRequest, context: Ctx) -> Run:
        ref = names.run(request.name)
        key = request_key("StartRun", request.name, request.request_id, request)
        who = actor(context)

        def apply(run: Run, paused_from: int) -> machine.Transition:
            return machine.transition(run, paused_from, machine.Action.START, who)

        return await writing(self.store.loop_writes, self.store.change_run, ref, "", key, apply)

    async def CompleteRun(
        self, request: runner_service_pb2.CompleteRunRequest, context: Ctx
    ) -> Run:
        ref = names.run(request.name)
        if request.succeeded and request.end_reason:
            raise invalid_argument(
                "end_reason", "is only for failed runs", "END_REASON_WITH_SUCCESS"
            )
        if request.end_reason and request.end_reason not in machine.FAILURE_REASONS:
            raise invalid_argument(
                "end_reason",
                "must be FAILURE, TIMEOUT, CRASHED or LOG_OVERFLOW",
                "INVALID_END_REASON",
            )
        key = request_key("CompleteRun", request.name, request.request_id, request)
        who = actor(context)
        action = machine.Action.SUCCEED if request.succeeded else machine.Action.FAIL
        exit_code = request.exit_code if request.HasField("exit_code") else None
        failure = request.failure if request.HasField("failure") else None
        reason = request.failure.message if failure is not None else ""

        def apply(run: Run, paused_from: int) -> machine.Transition:
            return machine.transition(
                run,
                paused_from,
                action,
                who,
                reason=reason,
                exit_code=exit_code,
                end_reason=request.end_reason,
                failure=failure,
                outputs=list(request.outputs),
            )

        return await writing(self.store.loop_writes, self.store.change_run, ref, "", key, apply)

    async def AppendRunEvents(
        self, request: runner_service_pb2.AppendRunEventsRequest, context: Ctx
    ) -> runner_service_pb2.AppendRunEventsResponse:
        ref = names.run(request.parent, "parent")
        if not request.entries:
            raise required("entries")
        if len(request.entries) > MAX_ENTRIES:
            raise invalid_argument(
                "entries", f"at most {MAX_ENTRIES} entries per call", "TOO_MANY_ENTRIES"
            )
        for i, entry in enumerate(request.entries):
            if not entry.node_kind:
                raise required(f"entries[{i}].node_kind")
        key = request_key("AppendRunEvents", request.parent, request.request_id, request)

        def check(run: Run) -> None:
            machine.check_open(run, "append events to")

        events = await writing(
            self.store.loop_writes,
            self.store.append_journal,
            ref,
            list(request.entries),
            now_us(),
            key,
            check,
        )
        return runner_service_pb2.AppendRunEventsResponse(run_events=events)

    async def _check_run_open(self, ref: RunRef) -> None:
        try:
            run = await reading(self.store.get_run, ref)
        except ApiError as error:
            if error.code == grpc.StatusCode.NOT_FOUND:
                return  # executions may name runs recorded elsewhere
            raise
        machine.check_open(run, "record an execution of")

    async def CreateExecution(
        self, request: runner_service_pb2.CreateExecutionRequest, context: Ctx
    ) -> execution_pb2.Execution:
        ws = names.workspace(request.parent, "parent")
        if not request.HasField("execution"):
            raise required("execution")
        execution_id = request.execution_id or generated_id("x")
        validate_id("execution_id", execution_id)
        if request.execution.run:
            run_ref = names.run(request.execution.run, "execution.run")
            if run_ref.automation.workspace != ws:
                # Tokens are checked against `parent`; the run must be inside it.
                raise invalid_argument("execution.run", "must be a run of the parent workspace")
            await self._check_run_open(run_ref)
        e = execution_pb2.Execution()
        e.CopyFrom(request.execution)
        e.create_time.FromMicroseconds(now_us())
        if e.HasField("start_time") and e.HasField("end_time"):
            e.duration.FromMicroseconds(
                max(0, e.end_time.ToMicroseconds() - e.start_time.ToMicroseconds())
            )
        key = request_key("CreateExecution", request.parent, request.request_id, request)
        return await blocking(
            self.executions.record_execution,
            ExecutionRef(ws, execution_id),
            e,
            request.outputs,
            key,
        )
