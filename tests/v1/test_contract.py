"""The runyard.v1 contract: the services and RPCs that clients rely on."""

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from runyard.v1 import (
    automation_pb2,
    execution_pb2,
    run_service_pb2,
    runner_service_pb2,
    workspace_pb2,
)

EXPECTED = {
    "runyard.v1.WorkspaceService": {
        "CreateWorkspace",
        "GetWorkspace",
        "ListWorkspaces",
        "UpdateWorkspace",
    },
    "runyard.v1.AutomationService": {
        "CreateAutomation",
        "GetAutomation",
        "ListAutomations",
        "UpdateAutomation",
        "DeleteAutomation",
    },
    "runyard.v1.RunService": {
        "GetRun",
        "ListRuns",
        "CreateRun",
        "PauseRun",
        "ContinueRun",
        "CancelRun",
        "RetryRun",
        "ListRunEvents",
        "WatchRunEvents",
        "WatchRuns",
        "QueryDailyRunAggregates",
        "QueryAutomationRunAggregates",
    },
    "runyard.v1.ExecutionService": {"GetExecution", "ListExecutions", "GetExecutionOutputs"},
    "runyard.v1.RunnerService": {"StartRun", "CompleteRun", "AppendRunEvents", "CreateExecution"},
}


def _services() -> dict[str, set[str]]:
    found = {}
    for mod in (workspace_pb2, automation_pb2, run_service_pb2, execution_pb2, runner_service_pb2):
        for svc in mod.DESCRIPTOR.services_by_name.values():
            found[svc.full_name] = {m.name for m in svc.methods}
    return found


def test_every_service_and_rpc_is_declared() -> None:
    assert _services() == EXPECTED


def test_every_rpc_has_an_http_binding() -> None:
    for mod in (workspace_pb2, automation_pb2, run_service_pb2, execution_pb2, runner_service_pb2):
        for svc in mod.DESCRIPTOR.services_by_name.values():
            for method in svc.methods:
                opts = descriptor_pb2.MethodOptions()
                opts.ParseFromString(method.GetOptions().SerializeToString())
                rule = opts.Extensions[annotations_pb2.http]
                assert rule.WhichOneof("pattern"), method.full_name


def test_pause_binding_matches_design() -> None:
    method = run_service_pb2.DESCRIPTOR.services_by_name["RunService"].methods_by_name["PauseRun"]
    rule = method.GetOptions().Extensions[annotations_pb2.http]
    assert rule.post == "/v1/{name=organizations/*/workspaces/*/automations/*/runs/*}:pause"
    assert rule.body == "*"
