"""`runyard workspaces get|update` and `runyard runs archive|purge-archive`
against the demo server, in workspaces of their own (the demo's runs stay as
they are: these workspaces have no retention window the server's schedule
would act on while the tests run, but for the one with no runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from runyard.domain import runs as machine
from runyard.store.interface import ImportedRun
from runyard.store.refs import WorkspaceRef
from runyard.v1 import automation_pb2, workspace_pb2
from tests.cli.conftest import Cli
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel
from tests.test_retention import DAY_US, _run

ORG = "organizations/demo"
SETTINGS = f"{ORG}/workspaces/settings"
OLD = f"{ORG}/workspaces/old"


@pytest.fixture(scope="module")
def stubs(demo_server: RunyardProcess) -> Iterator[Stubs]:
    with grpc.insecure_channel(demo_server.grpc_target) as channel:
        yield Stubs(admin_channel(demo_server, channel))


@pytest.fixture(scope="module")
def admin(demo_server: RunyardProcess, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(demo_server, demo_server.token("demo", "admin"), tmp_path_factory.mktemp("home"))


def _workspace(stubs: Stubs, wid: str) -> None:
    stubs.workspaces.CreateWorkspace(
        workspace_pb2.CreateWorkspaceRequest(
            parent=ORG,
            workspace_id=wid,
            workspace=workspace_pb2.Workspace(display_name=wid, labels={"team": "a"}),
        )
    )


def test_workspaces_update_changes_only_the_given_settings(
    admin: Cli, cli: Cli, stubs: Stubs
) -> None:
    _workspace(stubs, "settings")
    dry = admin("workspaces", "update", SETTINGS, "--run-retention", "90d", "--validate-only")
    assert dry.code == 0, dry.err
    assert "90d" in dry.out
    assert "forever" in admin("workspaces", "get", SETTINGS).out  # nothing written

    r = admin(
        "workspaces", "update", SETTINGS, "--run-retention", "90d",
        "--archive-retention", "52w", "-o", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    body = r.json()
    assert (body["runRetention"], body["archiveRetention"]) == ("7776000s", "31449600s")
    assert (body["displayName"], body["labels"]) == ("settings", {"team": "a"})
    table = admin("workspaces", "get", SETTINGS)
    assert "run retention" in table.out and "90d" in table.out and "52w" in table.out

    r = admin("workspaces", "update", SETTINGS, "--archive-retention", "none", "-o", "json")
    assert r.code == 0, r.err
    assert "archiveRetention" not in r.json() and r.json()["runRetention"] == "7776000s"

    stale = admin("workspaces", "update", SETTINGS, "--display-name", "x", "--etag", body["etag"])
    assert stale.code != 0 and "etag" in stale.err
    denied = cli("workspaces", "update", SETTINGS, "--run-retention", "1d")  # an operator
    assert denied.code != 0 and "PERMISSION_DENIED" in denied.err
    bad = admin("workspaces", "update", SETTINGS, "--run-retention", "3 days")
    assert bad.code == 2 and "--run-retention" in bad.err
    assert admin("workspaces", "update", SETTINGS).code == 2  # nothing to change


def _seed_old_runs(server: RunyardProcess, stubs: Stubs) -> None:
    """Six runs that ended 40 days ago and two that ended yesterday."""
    _workspace(stubs, "old")
    stubs.automations.CreateAutomation(
        automation_pb2.CreateAutomationRequest(
            parent=OLD,
            automation_id="nightly",
            automation=automation_pb2.Automation(kind=automation_pb2.Automation.SCHEDULED_TASK),
        )
    )
    now = time.time_ns() // 1000
    plan = [(f"old-{i}", 40 * DAY_US) for i in range(6)] + [(f"new-{i}", DAY_US) for i in range(2)]
    lines = [(rid, _run(ago, machine.Action.SUCCEED, now)) for rid, ago in plan]
    server._token_store().import_runs(
        WorkspaceRef("demo", "old"),
        [ImportedRun("nightly", rid, ln.run, ln.events) for rid, ln in lines],
    )


def _listed(cli: Cli, *flags: str) -> int:
    r = cli("runs", "list", f"{OLD}/automations/-", "--page-size", "100", "-o", "json", *flags)
    assert r.code == 0, r.err
    return len(r.json().get("runs", []))


def test_runs_archive_and_purge_archive(
    admin: Cli, cli: Cli, stubs: Stubs, demo_server: RunyardProcess, tmp_path: Path
) -> None:
    _seed_old_runs(demo_server, stubs)
    dry = cli("runs", "archive", OLD, "--older-than", "30d", "--validate-only")
    assert dry.code == 0, dry.err
    assert dry.out.strip() == "6 runs would be archived (nothing changed)"
    assert _listed(cli) == 8

    unset = cli("runs", "archive", OLD)  # no --older-than and no run retention
    assert unset.code != 0 and "FAILED_PRECONDITION" in unset.err

    done = cli("runs", "archive", OLD, "--older-than", "30d", "--wait", "-o", "json")
    assert done.code == 0, done.err
    assert "started organizations/demo/workspaces/old/operations/" in done.err
    meta = done.json()["metadata"]
    assert (meta["action"], meta["state"], meta["doneCount"]) == ("ARCHIVE", "SUCCEEDED", "6")
    assert (_listed(cli), _listed(cli, "--show-archived")) == (2, 8)

    denied = cli("runs", "purge-archive", OLD, "--older-than", "30d")  # an operator
    assert denied.code != 0 and "PERMISSION_DENIED" in denied.err
    dry = admin("runs", "purge-archive", OLD, "--older-than", "30d", "--validate-only")
    assert dry.out.strip() == "6 runs would be purged (nothing changed)"
    done = admin("runs", "purge-archive", OLD, "--older-than", "30d", "--wait")
    assert done.code == 0, done.err
    assert "PURGE" in done.out and "SUCCEEDED" in done.out
    assert (_listed(cli), _listed(cli, "--show-archived")) == (2, 2)
