"""UpdateWorkspace (AIP-134) on both stores, over gRPC and HTTP: only masked
fields change, `*` replaces, no mask means the populated fields, output-only
fields are ignored, bad masks and windows are INVALID_ARGUMENT, etags are
compared, validate_only writes nothing, and only admins may call it."""

from __future__ import annotations

import grpc
import httpx
import pytest
from google.protobuf import duration_pb2, field_mask_pb2

from runyard.v1 import workspace_pb2, workspace_pb2_grpc
from tests.errors import details_of
from tests.plugins.servers import RunyardProcess, Stubs

Workspace = workspace_pb2.Workspace
Request = workspace_pb2.UpdateWorkspaceRequest
WS = "organizations/acme/workspaces/data"
DAY = 86_400


def _days(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n * DAY)


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


@pytest.fixture
def ws(stubs: Stubs) -> Workspace:
    return stubs.workspaces.CreateWorkspace(
        workspace_pb2.CreateWorkspaceRequest(
            parent="organizations/acme",
            workspace_id="data",
            workspace=Workspace(display_name="Data", labels={"team": "a"}),
        )
    )


def test_mask_changes_only_the_masked_fields(stubs: Stubs, ws: Workspace) -> None:
    patch = Workspace(name=WS, display_name="ignored", run_retention=_days(90))
    out = stubs.workspaces.UpdateWorkspace(
        Request(workspace=patch, update_mask=_mask("run_retention"))
    )
    assert out.run_retention.seconds == 90 * DAY
    assert (out.display_name, dict(out.labels)) == ("Data", {"team": "a"})
    assert not out.HasField("archive_retention")
    assert (
        out.etag != ws.etag and out.update_time.ToMicroseconds() > ws.update_time.ToMicroseconds()
    )
    assert (out.uid, out.create_time) == (ws.uid, ws.create_time)
    assert stubs.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name=WS)) == out

    # A masked field absent from the body is cleared.
    out = stubs.workspaces.UpdateWorkspace(
        Request(workspace=Workspace(name=WS), update_mask=_mask("run_retention", "labels"))
    )
    assert not out.HasField("run_retention") and not out.labels and out.display_name == "Data"


def test_no_mask_updates_populated_fields_and_star_replaces(stubs: Stubs, ws: Workspace) -> None:
    out = stubs.workspaces.UpdateWorkspace(
        Request(workspace=Workspace(name=WS, archive_retention=_days(365), uid="x"))
    )
    assert out.archive_retention.seconds == 365 * DAY
    assert (out.display_name, out.uid) == ("Data", ws.uid)  # uid is output only: ignored
    same = stubs.workspaces.UpdateWorkspace(Request(workspace=Workspace(name=WS)))
    assert same == out  # nothing populated: nothing written
    out = stubs.workspaces.UpdateWorkspace(
        Request(workspace=Workspace(name=WS, display_name="New"), update_mask=_mask("*"))
    )
    assert out.display_name == "New" and not out.labels
    assert not out.HasField("archive_retention")


BAD = [
    (Request(workspace=Workspace(name=WS), update_mask=_mask("uid")), "update_mask"),
    (Request(workspace=Workspace(name=WS), update_mask=_mask("create_time")), "update_mask"),
    (
        Request(workspace=Workspace(name=WS), update_mask=_mask("run_retention.seconds")),
        "update_mask",
    ),
    (
        Request(
            workspace=Workspace(name=WS, run_retention=duration_pb2.Duration(seconds=-1)),
            update_mask=_mask("run_retention"),
        ),
        "workspace.run_retention",
    ),
    (
        Request(workspace=Workspace(name=WS, archive_retention=duration_pb2.Duration())),
        "workspace.archive_retention",
    ),
    (Request(update_mask=_mask("display_name")), "workspace"),
    (Request(workspace=Workspace(name="organizations/acme")), "workspace.name"),
]


def test_bad_requests_are_invalid_argument(stubs: Stubs, ws: Workspace) -> None:
    for request, violation in BAD:
        with pytest.raises(grpc.RpcError) as err:
            stubs.workspaces.UpdateWorkspace(request)
        found = details_of(err.value)
        assert found.code is grpc.StatusCode.INVALID_ARGUMENT, request
        assert found.field_violations == [violation], request
    assert stubs.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name=WS)) == ws


def test_etag_and_validate_only(stubs: Stubs, ws: Workspace) -> None:
    dry = stubs.workspaces.UpdateWorkspace(
        Request(workspace=Workspace(name=WS, run_retention=_days(30)), validate_only=True)
    )
    assert dry.run_retention.seconds == 30 * DAY
    assert stubs.workspaces.GetWorkspace(workspace_pb2.GetWorkspaceRequest(name=WS)) == ws
    out = stubs.workspaces.UpdateWorkspace(
        Request(workspace=Workspace(name=WS, run_retention=_days(30), etag=ws.etag))
    )
    assert out.etag == dry.etag
    with pytest.raises(grpc.RpcError) as err:
        stubs.workspaces.UpdateWorkspace(
            Request(workspace=Workspace(name=WS, display_name="x", etag=ws.etag))
        )
    found = details_of(err.value)
    assert found.code is grpc.StatusCode.ABORTED
    assert found.error_info is not None and found.error_info.reason == "ETAG_MISMATCH"
    with pytest.raises(grpc.RpcError) as err:
        stubs.workspaces.UpdateWorkspace(
            Request(workspace=Workspace(name=f"{WS}x", display_name="x"))
        )
    assert err.value.code() is grpc.StatusCode.NOT_FOUND


def test_http_patch_with_update_mask(runyard_server: RunyardProcess, ws: Workspace) -> None:
    headers = runyard_server.auth_headers("acme")
    with httpx.Client(base_url=runyard_server.http_base, headers=headers, timeout=30) as http:
        r = http.patch(
            f"/v1/{WS}",
            params={"updateMask": "runRetention,archiveRetention"},
            json={"runRetention": "7776000s", "archiveRetention": "31536000s", "displayName": "no"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["runRetention"], body["archiveRetention"]) == ("7776000s", "31536000s")
        assert body["displayName"] == "Data"
        r = http.patch(f"/v1/{WS}", params={"updateMask": "name"}, json={})
        assert r.status_code == 400, r.text
        reasons = [d.get("reason") for d in r.json()["details"]]
        assert "INVALID_UPDATE_MASK" in reasons


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_update(runyard_server: RunyardProcess, ws: Workspace, role: str) -> None:
    with grpc.insecure_channel(runyard_server.grpc_target) as channel:
        stub = workspace_pb2_grpc.WorkspaceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.UpdateWorkspace(
                Request(workspace=Workspace(name=WS, run_retention=_days(1))),
                metadata=runyard_server.metadata("acme", role),
            )
        assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    headers = runyard_server.auth_headers("acme", role)
    with httpx.Client(base_url=runyard_server.http_base, headers=headers, timeout=30) as http:
        r = http.patch(
            f"/v1/{WS}", params={"updateMask": "runRetention"}, json={"runRetention": "1s"}
        )
        assert r.status_code == 403, r.text
