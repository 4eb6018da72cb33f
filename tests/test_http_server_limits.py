"""The HTTP server's own answers and limits on both gateways (in-process and
stand-alone `runyard gateway`): bytes that are not HTTP/1.1 and requests past
its limits get a google.rpc.Status like every other error; idle connections are
closed after --http-idle-timeout, a request body that stops arriving gets 408
after --http-body-timeout; beyond --http-max-connections the oldest idle
connections are shed and a new client is still answered."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.plugins.gateways import GatewayProcess
from tests.plugins.servers import RunyardProcess

WS = "organizations/demo/workspaces/main"
CAP = 200
LIMITS = (
    "--http-idle-timeout",
    "1",
    "--http-header-timeout",
    "5",
    "--http-body-timeout",
    "1",
    "--http-max-connections",
)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunyardProcess]:
    tmp: Path = tmp_path_factory.mktemp("runyard")
    server = RunyardProcess(f"sqlite:///{tmp / 'demo.db'}", tmp, http=True)
    server.start("--demo", *LIMITS, str(CAP))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["in-process", "stand-alone"])
def base(
    request: pytest.FixtureRequest,
    limited_server: RunyardProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    if request.param == "in-process":
        yield limited_server.http_base
        return
    gw = GatewayProcess(
        limited_server.grpc_target, tmp_path_factory.mktemp("gateway"), *LIMITS, str(CAP)
    )
    try:
        yield gw.base
    finally:
        gw.stop()


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends ``data``, reads until the server closes; status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, body


HOST = b"\r\nHost: x"
CASES = {
    "0xFF request line": (b"\xff\xff\xff / HTTP/1.1\r\n\r\n", 400, "MALFORMED_REQUEST"),
    "malformed request line": (b"GET /v1/x HTTX/9\r\n\r\n", 400, "MALFORMED_REQUEST"),
    "bad header bytes": (b"GET /v1/x HTTP/1.1" + HOST + b"\r\nX-A: a\x01b\r\n\r\n", 400, None),
    "bad header name": (b"GET /v1/x HTTP/1.1" + HOST + b"\r\nX(A: a\r\n\r\n", 400, None),
    "URI too long": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1" + HOST + b"\r\n\r\n", 414, None),
    "too many headers": (
        b"GET /v1/x HTTP/1.1"
        + HOST
        + b"".join(b"\r\nX-%d: v" % i for i in range(150))
        + b"\r\n\r\n",
        431,
        "HEADERS_TOO_LARGE",
    ),
    "header too large": (
        b"GET /v1/x HTTP/1.1" + HOST + b"\r\nX-A: " + b"v" * 70_000 + b"\r\n\r\n",
        431,
        None,
    ),
    "Content-Length with chunked": (
        b"POST /v1/x HTTP/1.1" + HOST + b"\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
        b"\r\n\r\n0\r\n\r\n",
        400,
        "MALFORMED_REQUEST",
    ),
    "two Content-Lengths": (
        b"POST /v1/x HTTP/1.1" + HOST + b"\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        400,
        "MALFORMED_REQUEST",
    ),
    "HTTP/2.0": (b"GET /v1/x HTTP/2.0" + HOST + b"\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"),
    "body stops arriving": (
        b"POST /v1/"
        + WS.encode()
        + b"/automations?automationId=stalled HTTP/1.1"
        + HOST
        + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        408,
        "REQUEST_BODY_TIMEOUT",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_server_errors_are_status_json(base: str, case: str) -> None:
    data, want_status, want_reason = CASES[case]
    status, headers, body = _raw(_port(base), data)
    assert status == want_status
    assert headers["content-type"] == "application/json"
    assert headers["x-request-id"]
    doc = json.loads(body)
    info = doc["details"][0]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["domain"] == "runyard.dev"
    assert info["reason"] == (want_reason or info["reason"])
    assert doc["code"] in (3, 4, 12) and doc["message"]


def test_server_errors_as_problem_json(base: str) -> None:
    data = b"GET /v1/x HTTP/1.1\r\nAccept: application/problem+json" + b"".join(
        b"\r\nX-%d: v" % i for i in range(150)
    )
    status, headers, body = _raw(_port(base), data + b"\r\n\r\n")
    assert (status, headers["content-type"]) == (431, "application/problem+json")
    assert json.loads(body)["status"] == 431
    # Counted like every other answer (method and route "-": no request got that far).
    metrics = httpx.get(f"{base}/metrics", timeout=30).text
    assert 'runyard_http_requests_total{code="431",method="-",route="-"}' in metrics


def test_idle_connection_closed_after_idle_timeout(base: str) -> None:
    with socket.create_connection(("127.0.0.1", _port(base)), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"SERVING" not in got:
            got += s.recv(65536)
        assert got.startswith(b"HTTP/1.1 200")
        assert s.recv(65536) == b""  # closed by the server (bounded by the 30 s timeout)


def test_more_idle_connections_than_the_cap(base: str, limited_server: RunyardProcess) -> None:
    auth = limited_server.auth_headers("demo")
    with httpx.Client(base_url=base, timeout=30, headers=auth) as c:
        r = c.get(f"/v1/{WS}/automations/-/runs", params={"pageSize": 1})
        assert r.status_code == 200, r.text
        run = r.json()["runs"][0]["name"]
    socks: list[socket.socket] = []
    try:
        for _ in range(CAP * 3):  # bounded: one connect each
            socks.append(socket.create_connection(("127.0.0.1", _port(base)), timeout=30))
        with httpx.Client(base_url=base, timeout=30, headers=auth) as fresh:
            r = fresh.get(f"/v1/{run}")
        assert r.status_code == 200, r.text
        assert r.json()["name"] == run
        assert socks[0].recv(1) == b""  # the oldest idle connection was shed
    finally:
        for s in socks:
            s.close()
