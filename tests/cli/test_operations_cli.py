"""`runyard runs batch-…` and `runyard operations …` against the demo server,
on runs of a workspace of their own (the demo's runs stay as they are)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from runyard.v1 import automation_pb2, run_pb2, run_service_pb2, workspace_pb2
from tests.cli.conftest import Cli
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

WS = "organizations/demo/workspaces/bulk"


class Runs:
    """Makes automations with queued runs in the workspace WS."""

    def __init__(self, stubs: Stubs) -> None:
        self.stubs = stubs
        stubs.workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent="organizations/demo",
                workspace_id="bulk",
                workspace=workspace_pb2.Workspace(display_name="Bulk"),
            )
        )

    def make(self, automation: str, count: int) -> list[str]:
        self.stubs.automations.CreateAutomation(
            automation_pb2.CreateAutomationRequest(
                parent=WS,
                automation_id=automation,
                automation=automation_pb2.Automation(
                    display_name=automation, kind=automation_pb2.Automation.SCHEDULED_TASK
                ),
            )
        )
        parent = f"{WS}/automations/{automation}"
        return [
            self.stubs.runs.CreateRun(
                run_service_pb2.CreateRunRequest(
                    parent=parent, run=run_pb2.Run(trigger=run_pb2.Run.MANUAL, caller="tests")
                )
            ).name
            for _ in range(count)
        ]


@pytest.fixture(scope="module")
def runs(demo_server: RunyardProcess) -> Iterator[Runs]:
    with grpc.insecure_channel(demo_server.grpc_target) as channel:
        yield Runs(Stubs(admin_channel(demo_server, channel)))


def _states(cli: Cli, parent: str) -> list[str]:
    page = cli.rest(f"{parent}/runs", page_size="1000")
    return sorted(r["state"] for r in page.get("runs", []))


def test_validate_only_counts_and_changes_nothing(cli: Cli, runs: Runs) -> None:
    runs.make("dry", 12)
    parent = f"{WS}/automations/dry"
    table = cli("runs", "batch-cancel", parent, "--validate-only")
    assert table.code == 0, table.err
    assert table.out.strip() == "12 runs would be cancelled (nothing changed)"
    as_json = cli("runs", "batch-retry", parent, "--validate-only", "-o", "json")
    assert as_json.code == 0, as_json.err
    assert as_json.json()["metadata"]["validateOnly"] is True
    assert as_json.json()["metadata"].get("matchedCount", "0") == "0"  # none failed
    assert _states(cli, parent) == ["QUEUED"] * 12


def test_batch_by_filter_waits_then_retries(cli: Cli, runs: Runs) -> None:
    runs.make("sweep", 20)
    parent = f"{WS}/automations/sweep"
    r = cli("runs", "batch-cancel", parent, "--filter", "state = QUEUED", "--reason", "sweep",
            "--wait")  # fmt: skip
    assert r.code == 0, r.err
    assert r.err.startswith(f"started {WS}/operations/")
    assert "SUCCEEDED" in r.out and "20 matched, 20 cancelled, 0 failed, 0 skipped" in r.out
    assert _states(cli, parent) == ["CANCELLED"] * 20
    # The run's timeline names the operation, and its creation reads as such.
    name = cli.rest(f"{parent}/runs", page_size="1")["runs"][0]["name"]
    events = cli("runs", "events", name)
    assert "created → QUEUED" in events.out and "sweep (by " in events.out

    retried = cli("runs", "batch-retry", parent, "--wait", "-o", "json")
    assert retried.code == 0, retried.err
    op = retried.json()
    assert op["done"] is True and op["metadata"]["state"] == "SUCCEEDED"
    assert op["response"]["doneCount"] == "20"
    assert op == cli.rest(op["name"])
    assert _states(cli, parent) == ["CANCELLED"] * 20 + ["QUEUED"] * 20

    listed = cli("operations", "list", WS, "--filter", "action = RETRY", "-o", "json")
    assert listed.code == 0, listed.err
    assert [o["name"] for o in listed.json()["operations"]] == [op["name"]]
    table = cli("operations", "list", WS)
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].split()[:4] == ["OPERATION", "ACTION", "STATE", "MATCHED"]
    assert op["name"].rsplit("/", 1)[1] in table.out and "sweep: state = QUEUED" in table.out


def test_named_runs_and_their_failures(cli: Cli, runs: Runs) -> None:
    names = runs.make("named", 4)
    parent = f"{WS}/automations/named"
    cli("runs", "pause", names[0], "--reason", "hold")
    missing = f"{parent}/runs/nosuch"
    r = cli("runs", "batch-continue", parent, "--names", *names[:3], missing, "--wait",
            "-o", "json")  # fmt: skip
    assert r.code == 0, r.err
    counts = r.json()["response"]
    assert (counts["matchedCount"], counts["doneCount"]) == ("4", "1")
    assert (counts["skippedCount"], counts["failedCount"]) == ("2", "1")
    assert "runs not changed: runyard operations failures" in r.err

    name = r.json()["name"]
    failures = cli("operations", "failures", name, "-o", "json")
    assert failures.code == 0, failures.err
    assert failures.json() == cli.rest(f"{name}/failures")
    assert [f["run"] for f in failures.json()["failures"]] == [*names[1:3], missing]
    table = cli("operations", "failures", name, "--filter", "skipped = false")
    assert table.code == 0, table.err
    assert "runs/nosuch" in table.out and "NOT_FOUND" in table.out
    assert "1 failures" in table.out


def test_cancel_an_operation_and_wait_exits_with_its_error(cli: Cli, runs: Runs) -> None:
    # More runs than the worker's first batch (100), at 2 a second: it stops midway.
    runs.make("slow", 110)
    parent = f"{WS}/automations/slow"
    started = cli("runs", "batch-cancel", parent, "--max-runs-per-second", "2", "-o", "json")
    assert started.code == 0, started.err
    name = started.json()["name"]
    assert started.json().get("done") is None  # proto3 JSON leaves false out
    cancelled = cli("operations", "cancel", name)
    assert cancelled.code == 0, cancelled.err
    assert "CANCELLED" in cancelled.out and "cancel asked" in cancelled.out, cancelled.out
    waited = cli("operations", "wait", name, "-o", "json")
    assert waited.code == 1
    assert "the operation ended with CANCELLED" in waited.err
    assert waited.json()["error"]["code"] == 1
    got = cli("operations", "get", name)
    assert got.code == 0 and "CANCELLED" in got.out
    assert _states(cli, parent).count("QUEUED") > 0


def test_errors_exit_codes(cli: Cli, runs: Runs) -> None:
    missing = cli("operations", "get", f"{WS}/operations/nosuch")
    assert missing.code == 3 and missing.err.startswith("runyard: NOT_FOUND:")
    assert cli("runs", "batch-pause", f"{WS}/automations/-").code == 2  # --reason
    both = cli("runs", "batch-cancel", f"{WS}/automations/-", "--filter", "x", "--names", "y")
    assert both.code == 2
    bad = cli("runs", "batch-cancel", f"{WS}/automations/-", "--filter", "state = ")
    assert bad.code == 4 and "[reason INVALID_FILTER]" in bad.err
    viewer = cli.server.token("demo", "viewer")
    denied = cli("runs", "batch-cancel", f"{WS}/automations/-", "--token", viewer)
    assert denied.code == 5
