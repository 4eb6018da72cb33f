"""Operations over both gateways: Prometheus /metrics counts a short load by
method and code, /healthz, X-Request-Id, structured (JSON) access logs that tie
the HTTP line to the gRPC call it made."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import orjson
import pytest

from runyard.v1 import workspace_pb2, workspace_pb2_grpc
from tests.plugins.servers import RunyardProcess

WS = "organizations/demo/workspaces/main"
RUN_ROUTE = "GET /v1/{name=organizations/*/workspaces/*/automations/*/runs/*}"


def scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)\{(.*)\} ([0-9.e+-]+)$", line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def count(metrics: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return float(metrics.get((name, frozenset(labels.items())), 0.0))


@pytest.fixture
def http(gateway_base: str, demo_server: RunyardProcess) -> Iterator[httpx.Client]:
    auth = demo_server.auth_headers("demo")
    with httpx.Client(base_url=gateway_base, timeout=30, headers=auth) as client:
        yield client


def test_metrics_count_a_short_load_by_method_and_code(
    http: httpx.Client, gateway_base: str, demo_server: RunyardProcess
) -> None:
    run = http.get(f"/v1/{WS}/automations/-/runs", params={"pageSize": 1}).json()["runs"][0]
    before = scrape(gateway_base)
    for _ in range(7):
        assert http.get(f"/v1/{run['name']}").status_code == 200
    for _ in range(3):
        assert http.get(f"/v1/{run['name']}x/y").status_code == 404
    for _ in range(2):
        assert http.get(f"/v1/{run['name']}", params={"nope": "1"}).status_code == 400
    after = scrape(gateway_base)

    def delta(name: str, **labels: str) -> float:
        return count(after, name, **labels) - count(before, name, **labels)

    name = "runyard_http_requests_total"
    assert delta(name, method="GET", route=RUN_ROUTE, code="200") == 7
    assert delta(name, method="GET", route=RUN_ROUTE, code="400") == 2
    assert delta(name, method="GET", route="-", code="404") == 3
    hist = "runyard_http_request_duration_seconds_count"
    assert delta(hist, method="GET", route=RUN_ROUTE, code="200") == 7
    # gRPC calls are counted where the gRPC server runs (the in-process gateway's)
    grpc_after = scrape(demo_server.http_base)
    assert (
        count(
            grpc_after,
            "runyard_rpc_requests_total",
            method="/runyard.v1.RunService/GetRun",
            code="OK",
        )
        >= 7
    )
    assert ("runyard_db_pool_connections", frozenset({("state", "in_use")})) in grpc_after


def test_health_and_request_ids(http: httpx.Client) -> None:
    r = http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "SERVING"}
    assert http.head("/healthz").content == b""
    r = http.get(f"/v1/{WS}")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = http.get(f"/v1/{WS}", headers={"x-request-id": "client-chose-this.1"})
    assert r.headers["x-request-id"] == "client-chose-this.1"
    r = http.get("/v1/nothing", headers={"x-request-id": "bad id with spaces"})
    assert r.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def _lines(log: Path, request_id: str) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for line in log.read_text().splitlines():
        if request_id in line and line.startswith("{"):
            out.append(orjson.loads(line))
    return out


def _wait_lines(log: Path, request_id: str, n: int) -> list[dict]:  # type: ignore[type-arg]
    lines: list[dict] = []  # type: ignore[type-arg]
    for _ in range(100):  # lines are written as calls end, after the answer: bounded wait
        lines = _lines(log, request_id)
        if len(lines) >= n:
            break
        time.sleep(0.1)
    return lines


def test_json_access_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNYARD_LOG_FORMAT", "json")
    server = RunyardProcess(f"sqlite:///{tmp_path / 'j.db'}", tmp_path)
    server.start("--demo")
    try:
        auth = server.auth_headers("demo")
        with httpx.Client(base_url=server.http_base, timeout=30, headers=auth) as c:
            assert c.get(f"/v1/{WS}", headers={"x-request-id": "req-ok"}).status_code == 200
            r = c.get(
                f"/v1/{WS}/automations", params={"filtre": "x"}, headers={"x-request-id": "req-bad"}
            )
            assert r.status_code == 400
        lines = _wait_lines(server.log, "req-ok", 2)
        http_line = next(x for x in lines if x.get("kind") == "http")
        grpc_line = next(x for x in lines if x.get("kind") == "grpc")
        assert http_line["status"] == 200 and http_line["route"].startswith("GET /v1/{name=")
        assert http_line["peer"].startswith("127.0.0.1:")
        assert grpc_line["method"] == "/runyard.v1.WorkspaceService/GetWorkspace"
        assert grpc_line["code"] == "OK" and grpc_line["principal"]
        rejected = _wait_lines(server.log, "req-bad", 1)
        assert rejected and rejected[0]["status"] == 400 and "filtre" in rejected[0]["rejected"]
        _direct_grpc_calls(server)
    finally:
        server.stop()


def _direct_grpc_calls(server: RunyardProcess) -> None:
    """Calls straight to the gRPC port: each known method behind the same gate
    (log line with the caller's peer, metrics by method and code, health
    included); an unknown one gets grpc's own UNIMPLEMENTED, neither logged
    nor counted."""
    get = workspace_pb2.GetWorkspaceRequest(name=WS)
    with grpc.insecure_channel(server.grpc_target) as ch:
        stub = workspace_pb2_grpc.WorkspaceServiceStub(ch)
        stub.GetWorkspace(get, metadata=(*server.metadata("demo"), ("x-request-id", "g-ok")))
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetWorkspace(get, metadata=(("x-request-id", "g-anon"),))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        unknown = ch.unary_unary("/runyard.v1.WorkspaceService/Nope")
        with pytest.raises(grpc.RpcError) as missing:
            unknown(b"", metadata=(("x-request-id", "g-nope"),))
        assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    ok = _wait_lines(server.log, "g-ok", 1)[0]
    assert ok["kind"] == "grpc" and ok["code"] == "OK"
    assert ok["principal"].startswith("organizations/demo/tokens/")
    assert ok["method"] == "/runyard.v1.WorkspaceService/GetWorkspace"
    assert ok["peer"].startswith("ipv4:127.0.0.1:") and ok["request_id"] == "g-ok"
    assert set(ok) >= {"duration_ms", "principal", "peer", "time", "level", "logger"}
    anon = _wait_lines(server.log, "g-anon", 1)[0]
    assert anon["code"] == "UNAUTHENTICATED" and anon["principal"] == "-"
    assert not _lines(server.log, "g-nope")
    metrics = scrape(server.http_base)
    rpc = "runyard_rpc_requests_total"
    method = "/runyard.v1.WorkspaceService/GetWorkspace"
    assert count(metrics, rpc, method=method, code="UNAUTHENTICATED") == 1
    assert count(metrics, rpc, method="/grpc.health.v1.Health/Check", code="OK") >= 1
    assert not [k for k in metrics if ("method", "/runyard.v1.WorkspaceService/Nope") in k[1]]
