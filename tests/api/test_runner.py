"""The runner side: start, journal entries, completion, executions and outputs."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import status_pb2

from runyard.v1 import execution_pb2, run_pb2, run_service_pb2, runner_service_pb2
from tests.api.test_run_lifecycle import WS, create_run, setup_automation
from tests.errors import details_of
from tests.plugins.servers import Stubs

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent


def test_a_run_from_start_to_failure_and_retry(stubs: Stubs) -> None:
    setup_automation(stubs)
    run = create_run(stubs)
    started = stubs.runner.StartRun(runner_service_pb2.StartRunRequest(name=run.name))
    assert started.state == Run.RUNNING and started.HasField("start_time")

    payload = struct_pb2.Struct()
    payload.update({"rows": 10})
    appended = stubs.runner.AppendRunEvents(
        runner_service_pb2.AppendRunEventsRequest(
            parent=run.name,
            entries=[
                RunEvent.JournalEntry(node_kind="FunctionCall", node_id="n1", payload=payload),
                RunEvent.JournalEntry(node_kind="Assignment", node_id="n2"),
            ],
        )
    )
    assert [e.sequence for e in appended.run_events] == [3, 4]

    failed = stubs.runner.CompleteRun(
        runner_service_pb2.CompleteRunRequest(
            name=run.name,
            succeeded=False,
            exit_code=137,
            end_reason=Run.CRASHED,
            failure=status_pb2.Status(code=2, message="killed: out of memory"),
        )
    )
    assert failed.state == Run.FAILED and failed.exit_code == 137
    assert failed.end_reason == Run.CRASHED and failed.failure.message == "killed: out of memory"
    assert failed.HasField("duration")

    events = stubs.runs.ListRunEvents(run_service_pb2.ListRunEventsRequest(parent=run.name))
    kinds = [e.journal.node_kind for e in events.run_events if e.type == RunEvent.JOURNAL]
    assert kinds == ["FunctionCall", "Assignment"]
    assert [e.sequence for e in events.run_events] == [1, 2, 3, 4, 5]

    retry = stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=run.name))
    assert retry.retried_run == run.name and retry.attempt == 2

    with pytest.raises(grpc.RpcError) as err:
        stubs.runner.CompleteRun(runner_service_pb2.CompleteRunRequest(name=run.name))
    assert details_of(err.value).code == grpc.StatusCode.FAILED_PRECONDITION


def test_execution_and_outputs(stubs: Stubs) -> None:
    setup_automation(stubs)
    run = create_run(stubs)
    execution = execution_pb2.Execution(
        run=run.name,
        resource="functions/resize",
        resource_version="1.2.0",
        state=execution_pb2.Execution.SUCCEEDED,
    )
    outputs = execution_pb2.ExecutionOutputs()
    outputs.outputs["model"].string_value = "models/churn@v7"
    created = stubs.runner.CreateExecution(
        runner_service_pb2.CreateExecutionRequest(
            parent=WS, execution=execution, execution_id="x1", outputs=outputs
        )
    )
    assert created.name == f"{WS}/executions/x1"
    got = stubs.executions.GetExecution(execution_pb2.GetExecutionRequest(name=created.name))
    assert got.resource == "functions/resize"
    out = stubs.executions.GetExecutionOutputs(
        execution_pb2.GetExecutionOutputsRequest(name=f"{created.name}/outputs")
    )
    assert out.name == f"{created.name}/outputs"
    assert out.outputs["model"].string_value == "models/churn@v7"
    listed = stubs.executions.ListExecutions(execution_pb2.ListExecutionsRequest(parent=WS))
    assert [e.name for e in listed.executions] == [created.name]
