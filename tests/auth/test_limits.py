"""Rate limits per token, and the size limits that keep one caller's data
from hurting everyone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from runyard.v1 import (
    automation_pb2,
    automation_pb2_grpc,
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)
from tests.plugins.servers import RunyardProcess

WS = "organizations/acme/workspaces/data"
AUTO = f"{WS}/automations/nightly"


def _md(secret: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {secret}"),)


def _details(err: grpc.RpcError) -> list[object]:
    raw = dict(err.trailing_metadata() or ())["grpc-status-details-bin"]
    out: list[object] = []
    for d in status_pb2.Status.FromString(raw).details:
        for cls in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.RetryInfo,
            error_details_pb2.QuotaFailure,
            error_details_pb2.BadRequest,
        ):
            if d.Is(cls.DESCRIPTOR):
                msg = cls()
                d.Unpack(msg)
                out.append(msg)
    return out


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[RunyardProcess]:
    server = RunyardProcess(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
    server.start("--rate-limit", "all=2/5")
    try:
        with grpc.insecure_channel(server.grpc_target) as ch:
            workspace_pb2_grpc.WorkspaceServiceStub(ch).CreateWorkspace(
                workspace_pb2.CreateWorkspaceRequest(
                    parent="organizations/acme",
                    workspace_id="data",
                    workspace=workspace_pb2.Workspace(),
                ),
                metadata=_md(server.token("acme", "admin")),
            )
        yield server
    finally:
        server.stop()


def test_rate_limit_per_token(limited: RunyardProcess) -> None:
    noisy, quiet = limited.token("acme", "viewer"), limited.token("acme", "operator")
    request = workspace_pb2.GetWorkspaceRequest(name=WS)
    with grpc.insecure_channel(limited.grpc_target) as ch:
        stub = workspace_pb2_grpc.WorkspaceServiceStub(ch)
        refused = None
        for _ in range(50):  # burst 5 at 2/s: well within 50 calls one is refused
            try:
                stub.GetWorkspace(request, metadata=_md(noisy))
            except grpc.RpcError as err:
                refused = err
                break
        assert refused is not None and refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = _details(refused)
        retry = next(d for d in details if isinstance(d, error_details_pb2.RetryInfo))
        quota = next(d for d in details if isinstance(d, error_details_pb2.QuotaFailure))
        assert retry.retry_delay.ToNanoseconds() > 0 and quota.violations
        # Another token is not slowed down.
        stub.GetWorkspace(request, metadata=_md(quiet))
        # Over HTTP: 429 with Retry-After.
        r = None
        for _ in range(50):
            r = httpx.get(
                f"{limited.http_base}/v1/{WS}", headers={"authorization": f"Bearer {noisy}"}
            )
            if r.status_code == 429:
                break
        assert r is not None and r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # The limited token recovers after the stated time (generous bound).
        time.sleep(retry.retry_delay.ToNanoseconds() / 1e9 + 1.0)
        stub.GetWorkspace(request, metadata=_md(noisy))


def _setup(stubs_ch: grpc.Channel, admin: str) -> None:
    workspace_pb2_grpc.WorkspaceServiceStub(stubs_ch).CreateWorkspace(
        workspace_pb2.CreateWorkspaceRequest(
            parent="organizations/acme",
            workspace_id="data",
            workspace=workspace_pb2.Workspace(),
        ),
        metadata=_md(admin),
    )
    automation_pb2_grpc.AutomationServiceStub(stubs_ch).CreateAutomation(
        automation_pb2.CreateAutomationRequest(
            parent=WS,
            automation_id="nightly",
            automation=automation_pb2.Automation(kind=automation_pb2.Automation.WORKFLOW),
        ),
        metadata=_md(admin),
    )


def _field_violation(err: grpc.RpcError) -> str:
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.details()
    bad = next(d for d in _details(err) if isinstance(d, error_details_pb2.BadRequest))
    return bad.field_violations[0].field


def test_label_bomb_and_oversized_payloads(runyard_server: RunyardProcess) -> None:
    admin = runyard_server.token("acme", "admin")
    with grpc.insecure_channel(runyard_server.grpc_target) as ch:
        _setup(ch, admin)
        runs = run_service_pb2_grpc.RunServiceStub(ch)
        bomb = run_pb2.Run(labels={f"k{i}": "v" for i in range(50_000)})
        with pytest.raises(grpc.RpcError) as err:
            runs.CreateRun(
                run_service_pb2.CreateRunRequest(parent=AUTO, run=bomb), metadata=_md(admin)
            )
        assert _field_violation(err.value) == "run.labels"
        long_value = run_pb2.Run(labels={"k": "v" * 256})
        with pytest.raises(grpc.RpcError) as err:
            runs.CreateRun(
                run_service_pb2.CreateRunRequest(parent=AUTO, run=long_value), metadata=_md(admin)
            )
        assert _field_violation(err.value).startswith("run.labels[")
        run = runs.CreateRun(
            run_service_pb2.CreateRunRequest(parent=AUTO, run=run_pb2.Run()), metadata=_md(admin)
        )
        runner = runner_service_pb2_grpc.RunnerServiceStub(ch)
        entry = run_pb2.RunEvent.JournalEntry(node_kind="log")
        entry.payload.update({"line": "x" * 20_000})
        with pytest.raises(grpc.RpcError) as err:
            runner.AppendRunEvents(
                runner_service_pb2.AppendRunEventsRequest(parent=run.name, entries=[entry]),
                metadata=_md(admin),
            )
        assert _field_violation(err.value).startswith("entries[0]")
        many = [run_pb2.RunEvent.JournalEntry(node_kind="log")] * 1_001
        with pytest.raises(grpc.RpcError) as err:
            runner.AppendRunEvents(
                runner_service_pb2.AppendRunEventsRequest(parent=run.name, entries=many),
                metadata=_md(admin),
            )
        assert _field_violation(err.value) == "entries"


def test_list_of_rows_stored_before_the_limits(runyard_server: RunyardProcess) -> None:
    """Rows with 50,000 labels each, written straight to the store as an older
    server would have: ListRuns still answers, with fewer items and a token."""
    from runyard.domain import runs as machine
    from runyard.domain.runs import Actor
    from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef

    admin = runyard_server.token("acme", "admin")
    with grpc.insecure_channel(runyard_server.grpc_target) as ch:
        _setup(ch, admin)
    store = runyard_server._token_store()
    auto = AutomationRef(WorkspaceRef("acme", "data"), "nightly")
    for i in range(3):
        big = run_pb2.Run(labels={f"key-{j}": "v" * 40 for j in range(50_000)})
        run, change = machine.new_run(big, Actor("old-server", time.time_ns() // 1000))
        store.create_run(RunRef(auto, f"big{i}"), run, change, "")
    with grpc.insecure_channel(
        runyard_server.grpc_target, options=[("grpc.max_receive_message_length", 4 << 20)]
    ) as ch:
        runs = run_service_pb2_grpc.RunServiceStub(ch)
        seen: list[str] = []
        token = ""
        for _ in range(10):
            page = runs.ListRuns(
                run_service_pb2.ListRunsRequest(parent=AUTO, page_size=50, page_token=token),
                metadata=_md(admin),
            )
            seen += [r.name for r in page.runs]
            assert len(page.runs) < 3
            token = page.next_page_token
            if not token:
                break
        assert len(seen) == 3
