"""Every runyard RPC over HTTP/JSON through the in-process gateway, with the
URLs of DESIGN.md, and AIP-193 errors as google.rpc.Status JSON."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.plugins.servers import RunyardProcess

ORG = "organizations/acme"
WS = f"{ORG}/workspaces/data"
AUTO = f"{WS}/automations/nightly"


@pytest.fixture
def http(runyard_server: RunyardProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=runyard_server.http_base + "/v1/",
        timeout=30,
        headers=runyard_server.auth_headers("acme"),
    ) as client:
        yield client


def ok(response: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _error(response: httpx.Response, status: int, code: int) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"]
    types = [d["@type"] for d in body["details"]]
    assert "type.googleapis.com/google.rpc.ErrorInfo" in types
    return body  # type: ignore[no-any-return]


def test_every_rpc_over_http(http: httpx.Client) -> None:
    ws = ok(
        http.post(f"{ORG}/workspaces", params={"workspaceId": "data"}, json={"displayName": "Data"})
    )
    assert ws["name"] == WS
    assert ok(http.get(WS))["displayName"] == "Data"
    assert [w["name"] for w in ok(http.get(f"{ORG}/workspaces"))["workspaces"]] == [WS]

    auto = ok(
        http.post(
            f"{WS}/automations",
            params={"automation_id": "nightly"},
            json={"displayName": "Nightly", "kind": "SCHEDULED_TASK"},
        )
    )
    assert auto["name"] == AUTO and auto["kind"] == "SCHEDULED_TASK"
    assert ok(http.get(AUTO))["displayName"] == "Nightly"
    assert len(ok(http.get(f"{WS}/automations"))["automations"]) == 1
    patched = ok(
        http.patch(AUTO, params={"updateMask": "description"}, json={"description": "every night"})
    )
    assert patched["description"] == "every night" and patched["displayName"] == "Nightly"

    run = ok(http.post(f"{AUTO}/runs", json={"trigger": "MANUAL", "labels": {"team": "data"}}))
    name = run["name"]
    assert run["state"] == "QUEUED" and run["trigger"] == "MANUAL"
    assert ok(http.get(name))["name"] == name
    listed = ok(http.get(f"{AUTO}/runs", params={"pageSize": 10}))
    assert [r["name"] for r in listed["runs"]] == [name]
    assert ok(http.get(f"{WS}/automations/-/runs"))["runs"][0]["name"] == name

    paused = ok(
        http.post(
            f"{name}:pause",
            json={"reason": "upstream late"},
            headers={"grpc-metadata-x-runyard-actor": "alice"},
        )
    )
    # The actor is the token's name; a client-chosen actor header is ignored.
    actor = paused["pausedBy"]
    assert paused["state"] == "PAUSED" and actor.startswith("organizations/acme/tokens/")
    assert ok(http.post(f"{name}:continue", json={}))["state"] == "QUEUED"
    assert ok(http.post(f"{name}:start", json={}))["state"] == "RUNNING"
    appended = ok(
        http.post(
            f"{name}/events:append",
            json={"entries": [{"nodeKind": "FunctionCall", "nodeId": "n1"}]},
        )
    )
    assert appended["runEvents"][0]["sequence"] == "5"
    failed = ok(
        http.post(
            f"{name}:complete",
            json={
                "succeeded": False,
                "exitCode": 2,
                "failure": {"code": 2, "message": "disk full"},
            },
        )
    )
    assert failed["state"] == "FAILED" and failed["exitCode"] == 2
    retry = ok(http.post(f"{name}:retry", json={}))
    assert retry["retriedRun"] == name and retry["attempt"] == 2
    cancelled = ok(http.post(f"{retry['name']}:cancel", json={"reason": "not needed"}))
    assert cancelled["state"] == "CANCELLED" and cancelled["endReason"] == "STOPPED"
    events = ok(http.get(f"{name}/events"))["runEvents"]
    assert [e["sequence"] for e in events] == ["1", "2", "3", "4", "5", "6"]
    assert events[1]["stateChange"] == {
        "fromState": "QUEUED",
        "toState": "PAUSED",
        "reason": "upstream late",
        "actor": actor,
    }

    # An ended run's timeline is closed; executions go to runs that have not ended.
    ended = http.post(f"{WS}/executions", json={"run": name, "resource": "functions/resize"})
    assert ended.status_code == 400 and ended.json()["code"] == 9  # FAILED_PRECONDITION
    live = ok(http.post(f"{AUTO}/runs", json={"trigger": "MANUAL"}))["name"]
    execution = ok(
        http.post(
            f"{WS}/executions",
            params={"executionId": "x1"},
            json={"run": live, "resource": "functions/resize", "state": "SUCCEEDED"},
        )
    )
    assert execution["name"] == f"{WS}/executions/x1"
    assert ok(http.get(f"{WS}/executions/x1"))["resource"] == "functions/resize"
    assert len(ok(http.get(f"{WS}/executions"))["executions"]) == 1
    assert ok(http.get(f"{WS}/executions/x1/outputs"))["name"] == f"{WS}/executions/x1/outputs"

    daily = ok(
        http.get(
            f"{WS}:dailyRunAggregates",
            params={
                "startDate.year": 2020,
                "startDate.month": 1,
                "startDate.day": 1,
                "endDate.year": 2020,
                "endDate.month": 1,
                "endDate.day": 3,
                "timeZone": "Asia/Kathmandu",
            },
        )
    )
    assert len(daily["days"]) == 3
    per_automation = ok(http.get(f"{WS}:automationRunAggregates"))
    assert per_automation["automationRunAggregates"][0]["automation"] == AUTO

    assert http.delete(AUTO).status_code == 200
    _error(http.get(AUTO), 404, 5)


def test_seed_003_paths_are_additional_bindings(runyard_server: RunyardProcess) -> None:
    with httpx.Client(
        base_url=runyard_server.http_base, timeout=30, headers=runyard_server.auth_headers("acme")
    ) as client:
        ok(client.post(f"/v1/{ORG}/workspaces", params={"workspaceId": "data"}, json={}))
        ok(client.post(f"/v1/{WS}/automations", params={"automationId": "nightly"}, json={}))
        run = ok(client.post(f"/v1/{AUTO}/runs", json={}))
        assert ok(client.get(f"/api/v1/{run['name']}"))["name"] == run["name"]
        paused = ok(client.post(f"/api/v1/{run['name']}:pause", json={"reason": "r"}))
        assert paused["state"] == "PAUSED"
        assert ok(client.get(f"/api/v1/{run['name']}/events"))["runEvents"]


def test_errors_are_status_json(http: httpx.Client) -> None:
    ok(http.post(f"{ORG}/workspaces", params={"workspaceId": "data"}, json={}))
    ok(http.post(f"{WS}/automations", params={"automationId": "nightly"}, json={}))
    run = ok(http.post(f"{AUTO}/runs", json={}))

    body = _error(http.post(f"{run['name']}:pause", json={}), 400, 3)
    bad = next(d for d in body["details"] if d["@type"].endswith("BadRequest"))
    assert bad["fieldViolations"][0]["field"] == "reason"

    ok(http.post(f"{run['name']}:cancel", json={}))
    body = _error(http.post(f"{run['name']}:pause", json={"reason": "x"}), 400, 9)
    info = next(d for d in body["details"] if d["@type"].endswith("ErrorInfo"))
    assert info["reason"] == "ILLEGAL_STATE_TRANSITION" and info["domain"] == "runyard.dev"

    _error(http.get(f"{AUTO}/runs/nope"), 404, 5)
    _error(http.get(f"{AUTO}/runs", params={"pageSize": -1}), 400, 3)
    _error(http.get("no/such/path"), 404, 5)
    _error(http.delete(f"{AUTO}/runs/{run['name'].rsplit('/', 1)[1]}"), 405, 12)
    _error(http.post(f"{AUTO}/runs", content=b"{not json"), 400, 3)

    problem = http.get(f"{AUTO}/runs/nope", headers={"accept": "application/problem+json"})
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert problem.json()["status"] == 404


def test_openapi_and_docs(runyard_server: RunyardProcess) -> None:
    with httpx.Client(base_url=runyard_server.http_base, timeout=30) as client:
        doc = ok(client.get("/openapi.json"))
        assert doc["openapi"].startswith("3.")
        paths = doc["paths"]
        assert any(p.endswith(":pause") for p in paths)
        page = client.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
