"""The seed-003 flow over gRPC against a real server: create, list, pause,
continue, cancel, retry, events, execution outputs."""

from __future__ import annotations

import uuid

import grpc
import pytest

from runyard.v1 import (
    automation_pb2,
    execution_pb2,
    run_pb2,
    run_service_pb2,
    workspace_pb2,
)
from tests.errors import details_of
from tests.plugins.servers import Stubs

Run = run_pb2.Run
WS = "organizations/acme/workspaces/data"
AUTO = f"{WS}/automations/nightly"


def setup_automation(stubs: Stubs) -> None:
    stubs.workspaces.CreateWorkspace(
        workspace_pb2.CreateWorkspaceRequest(
            parent="organizations/acme",
            workspace_id="data",
            workspace=workspace_pb2.Workspace(display_name="Data"),
        )
    )
    stubs.automations.CreateAutomation(
        automation_pb2.CreateAutomationRequest(
            parent=WS,
            automation_id="nightly",
            automation=automation_pb2.Automation(
                display_name="Nightly", kind=automation_pb2.Automation.SCHEDULED_TASK
            ),
        )
    )


def create_run(stubs: Stubs, **kwargs: object) -> Run:
    return stubs.runs.CreateRun(
        run_service_pb2.CreateRunRequest(
            parent=AUTO,
            run=Run(trigger=Run.MANUAL, caller="tests"),
            **kwargs,  # type: ignore[arg-type]
        )
    )


def test_seed_003_flow(stubs: Stubs) -> None:
    setup_automation(stubs)
    run = create_run(stubs)
    assert run.state == Run.QUEUED and run.attempt == 1 and run.name.startswith(AUTO + "/runs/")

    listed = stubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO))
    assert [r.name for r in listed.runs] == [run.name]

    # A client-chosen actor is ignored: the token's name is recorded.
    md = (("x-runyard-actor", "alice@example.com"),)
    paused = stubs.runs.PauseRun(
        run_service_pb2.PauseRunRequest(name=run.name, reason="upstream broken"), metadata=md
    )
    assert paused.state == Run.PAUSED
    assert paused.pause_reason == "upstream broken"
    assert paused.paused_by.startswith("organizations/acme/tokens/")
    assert paused.HasField("pause_time") and paused.etag != run.etag

    events = stubs.runs.ListRunEvents(run_service_pb2.ListRunEventsRequest(parent=run.name))
    last = events.run_events[-1]
    assert [e.sequence for e in events.run_events] == [1, 2]
    assert last.state_change.from_state == Run.QUEUED
    assert last.state_change.to_state == Run.PAUSED
    assert last.state_change.actor == paused.paused_by
    assert last.state_change.reason == "upstream broken"

    resumed = stubs.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=run.name))
    assert resumed.state == Run.QUEUED and not resumed.pause_reason

    cancelled = stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run.name))
    assert cancelled.state == Run.CANCELLED and cancelled.end_reason == Run.STOPPED

    retry = stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=run.name))
    assert retry.retried_run == run.name and retry.attempt == 2
    assert retry.trigger == Run.RETRY and retry.state == Run.QUEUED

    events = stubs.runs.ListRunEvents(run_service_pb2.ListRunEventsRequest(parent=run.name))
    assert [e.sequence for e in events.run_events] == [1, 2, 3, 4]
    assert [e.state_change.to_state for e in events.run_events] == [
        Run.QUEUED,
        Run.PAUSED,
        Run.QUEUED,
        Run.CANCELLED,
    ]


def test_execution_outputs(stubs: Stubs) -> None:
    # Executions are recorded by runners; the demo data has them.
    name = "organizations/acme/workspaces/data/executions/x1/outputs"
    with pytest.raises(grpc.RpcError) as err:
        stubs.executions.GetExecutionOutputs(execution_pb2.GetExecutionOutputsRequest(name=name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_illegal_transition_is_failed_precondition(stubs: Stubs) -> None:
    setup_automation(stubs)
    run = create_run(stubs)
    stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run.name))
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run.name, reason="x"))
    d = details_of(err.value)
    assert d.code == grpc.StatusCode.FAILED_PRECONDITION
    assert d.error_info is not None and d.error_info.reason == "ILLEGAL_STATE_TRANSITION"
    assert d.error_info.metadata["state"] == "CANCELLED"
    assert d.error_info.domain == "runyard.dev"


def test_request_id_replays_first_answer(stubs: Stubs) -> None:
    setup_automation(stubs)
    rid = str(uuid.uuid4())
    first = create_run(stubs, request_id=rid)
    again = create_run(stubs, request_id=rid)
    assert again == first
    listed = stubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO))
    assert len(listed.runs) == 1
    pause_id = str(uuid.uuid4())
    p1 = stubs.runs.PauseRun(
        run_service_pb2.PauseRunRequest(name=first.name, reason="r", request_id=pause_id)
    )
    p2 = stubs.runs.PauseRun(
        run_service_pb2.PauseRunRequest(name=first.name, reason="r", request_id=pause_id)
    )
    assert p1 == p2


def test_stale_etag_is_aborted(stubs: Stubs) -> None:
    setup_automation(stubs)
    run = create_run(stubs)
    stubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run.name, reason="a", etag=run.etag))
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=run.name, etag=run.etag))
    d = details_of(err.value)
    assert d.code == grpc.StatusCode.ABORTED
    assert d.error_info is not None and d.error_info.reason == "ETAG_MISMATCH"


@pytest.mark.parametrize(
    ("call", "code", "field"),
    [
        (
            lambda s: s.runs.GetRun(run_service_pb2.GetRunRequest(name="runs/x")),
            grpc.StatusCode.INVALID_ARGUMENT,
            "name",
        ),
        (
            lambda s: s.runs.GetRun(run_service_pb2.GetRunRequest(name="")),
            grpc.StatusCode.INVALID_ARGUMENT,
            "name",
        ),
        (
            lambda s: s.runs.GetRun(run_service_pb2.GetRunRequest(name=f"{AUTO}/runs/nope")),
            grpc.StatusCode.NOT_FOUND,
            None,
        ),
        (
            lambda s: s.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO, page_size=-1)),
            grpc.StatusCode.INVALID_ARGUMENT,
            "page_size",
        ),
        (
            lambda s: s.runs.PauseRun(run_service_pb2.PauseRunRequest(name=f"{AUTO}/runs/r1")),
            grpc.StatusCode.INVALID_ARGUMENT,
            "reason",
        ),
        (
            lambda s: s.runs.CreateRun(run_service_pb2.CreateRunRequest(parent=AUTO)),
            grpc.StatusCode.INVALID_ARGUMENT,
            "run",
        ),
        (
            lambda s: s.runs.CreateRun(
                run_service_pb2.CreateRunRequest(parent=AUTO, run=Run(), request_id="not-a-uuid")
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "request_id",
        ),
        (
            lambda s: s.workspaces.CreateWorkspace(
                workspace_pb2.CreateWorkspaceRequest(
                    parent="organizations/acme",
                    workspace_id="Bad_Id",
                    workspace=workspace_pb2.Workspace(),
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "workspace_id",
        ),
        (
            lambda s: s.runs.ListRuns(
                run_service_pb2.ListRunsRequest(parent=f"{WS}/automations/nope")
            ),
            grpc.StatusCode.NOT_FOUND,
            None,
        ),
    ],
)
def test_bad_requests_get_clear_errors(
    stubs: Stubs, call: object, code: grpc.StatusCode, field: str | None
) -> None:
    setup_automation(stubs)
    with pytest.raises(grpc.RpcError) as err:
        call(stubs)  # type: ignore[operator]
    d = details_of(err.value)
    assert d.code == code, d.message
    assert d.error_info is not None and d.error_info.reason
    if field:
        assert field in d.field_violations
    if code == grpc.StatusCode.NOT_FOUND:
        assert d.resource_info is not None


def test_values_the_database_cannot_hold_are_invalid_argument(stubs: Stubs) -> None:
    setup_automation(stubs)
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.CreateRun(
            run_service_pb2.CreateRunRequest(parent=AUTO, run=Run(caller="a\x00b"))
        )
    assert details_of(err.value).code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO, filter='caller = "\x00"'))
    assert details_of(err.value).code == grpc.StatusCode.INVALID_ARGUMENT
