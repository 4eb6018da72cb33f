"""The stand-alone gateway (descriptors from server reflection) answers as the
in-process one does: on the Library test service and on runyard itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import orjson
import pytest
from gatewaytest.v1 import gatewaytest_pb2 as pb

from runyard.api.validation import schema_limits
from runyard.gateway import create_app, load_files, serve_http
from runyard.gateway.cli import BEARER, _parser, run_gateway
from runyard.gateway.routes import read_bindings
from runyard.server import BEARER_SCHEME, descriptor_set_path
from tests.gateway.test_http import ROUTES
from tests.plugins.servers import RunyardProcess, free_port

WS = "organizations/demo/workspaces/main"


async def test_load_files_reads_services_and_http_rules(
    library_channel: grpc.aio.Channel,
) -> None:
    files = await load_files(library_channel)
    assert files[0].name == "gatewaytest/v1/gatewaytest.proto"
    # another pool than the generated code's, same rules
    assert files[0] is not pb.DESCRIPTOR
    ours = [(b.http_method, b.template.source, b.method_name) for b in read_bindings(files)]
    theirs = [
        (b.http_method, b.template.source, b.method_name) for b in read_bindings([pb.DESCRIPTOR])
    ]
    assert ours == theirs


@pytest.fixture
async def standalone_url(library_channel: grpc.aio.Channel) -> AsyncIterator[str]:
    files = await load_files(library_channel)
    http = await serve_http(create_app(library_channel, files), "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{http.port}"
    finally:
        await http.close()


def _comparable(r: httpx.Response) -> tuple[int, str, object, str]:
    ctype = r.headers.get("content-type", "")
    # JSON compared as values: map entries may come in any order from upstream.
    body: object = r.json() if ctype.endswith("/json") else r.content
    return (r.status_code, ctype, body, r.headers.get("allow", ""))


EXTRA = [
    ("GET", "/v1/shelves/s/items?pageSize=2", None),
    ("PUT", "/v1/shelves/s/items/i", None),
    ("GET", "/v1/blobs/a/b:download", None),
    ("POST", "/v1/blobs/a:upload", b"raw"),
    ("GET", "/v1/shelves/s/items:watch?count=2&failCode=13", None),
    ("GET", "/v1/fail/16", None),
    ("GET", "/v1/echo/1?time=2024-01-01T00:00:00Z&wait=3s&mask=a,bC&i64Value=5&value=1", None),
    ("GET", "/openapi.json", None),
]


async def test_library_standalone_equals_in_process(gateway_url: str, standalone_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=gateway_url) as a,
        httpx.AsyncClient(base_url=standalone_url) as b,
    ):
        cases = [(m, p, body) for m, p, body, _, _ in ROUTES] + EXTRA
        for method, path, body in cases:
            content = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
            ra = await a.request(method, path, content=content)
            rb = await b.request(method, path, content=content)
            assert _comparable(ra) == _comparable(rb), (method, path)


@pytest.fixture(scope="module")
def runyard_demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunyardProcess]:
    tmp: Path = tmp_path_factory.mktemp("runyard")
    server = RunyardProcess(f"sqlite:///{tmp / 'demo.db'}", tmp, http=True)
    server.start("--demo")
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


async def _first_run(client: httpx.AsyncClient) -> str:
    r = await client.get(f"/v1/{WS}/automations/-/runs", params={"pageSize": 1})
    assert r.status_code == 200, r.text
    return str(r.json()["runs"][0]["name"])


async def test_runyard_standalone_equals_in_process(runyard_demo: RunyardProcess) -> None:
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_gateway(
            runyard_demo.grpc_target,
            f"127.0.0.1:{port}",
            error_domain="runyard.dev",
            descriptor_set=str(descriptor_set_path()),
            field_constraints=schema_limits,
            security_schemes=BEARER_SCHEME,
            stop=stop,
        )
    )
    try:
        auth = runyard_demo.auth_headers("demo")
        async with httpx.AsyncClient(
            base_url=runyard_demo.http_base, timeout=20, headers=auth
        ) as a:
            run = await _first_run(a)
            for _ in range(200):  # wait for the stand-alone gateway to listen
                if task.done():
                    task.result()
                try:
                    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
                        await probe.get("/docs")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=20, headers=auth
            ) as b:
                cases = [
                    ("GET", f"/v1/{run}", None),
                    ("GET", f"/api/v1/{run}", None),
                    ("GET", f"/v1/{run}/events?pageSize=5", None),
                    (
                        "GET",
                        f"/v1/{WS}/automations/-/runs?pageSize=3&filter=state%20%3D%20FAILED",
                        None,
                    ),
                    ("GET", f"/v1/{WS}/automations/-/runs?pageSize=-1", None),
                    ("GET", f"/v1/{WS}/automations/-/runs?orderBy=nope", None),
                    ("GET", f"/v1/{WS}/automations/-/runs?pageSize=x", None),
                    (
                        "GET",
                        f"/v1/{WS}:dailyRunAggregates?timeZone=Europe/Berlin"
                        "&startDate.year=2026&startDate.month=1&startDate.day=1"
                        "&endDate.year=2026&endDate.month=1&endDate.day=3",
                        None,
                    ),
                    ("GET", f"/v1/{WS}:automationRunAggregates", None),
                    ("GET", f"/v1/{WS}/automations", None),
                    ("GET", f"/v1/{WS}", None),
                    ("GET", "/v1/organizations/demo/workspaces", None),
                    ("GET", f"/v1/{WS}/executions?pageSize=2", None),
                    ("GET", "/v1/organizations/nope/workspaces/nope", None),
                    ("GET", f"/v1/{run}:pause", None),
                    ("DELETE", f"/v1/{run}", None),
                    ("POST", f"/v1/{run}:pause", b"{bad json"),
                    ("POST", f"/v1/{run}:pause?reason=x", b"{}"),
                    ("GET", "/v1/nothing", None),
                    ("GET", "/openapi.json", None),
                ]
                for method, path, body in cases:
                    ra = await a.request(method, path, content=body)
                    rb = await b.request(method, path, content=body)
                    assert ra.status_code < 500, (path, ra.text)
                    if path == "/openapi.json":
                        # the same paths, schemas and security (the title is a
                        # setting of the in-process gateway)
                        da, db = ra.json(), rb.json()
                        assert {**da, "info": None} == {**db, "info": None}
                    else:
                        assert _comparable(ra) == _comparable(rb), (method, path)
                # problem+json is the same too
                h = {"accept": "application/problem+json"}
                ra = await a.get(f"/v1/{WS}/automations/-/runs?pageSize=-1", headers=h)
                rb = await b.get(f"/v1/{WS}/automations/-/runs?pageSize=-1", headers=h)
                assert ra.headers["content-type"] == "application/problem+json"
                assert _comparable(ra) == _comparable(rb)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def test_bearer_auth_is_declared_unless_turned_off() -> None:
    base = ["--upstream", "127.0.0.1:1"]
    assert _parser().parse_args(base).bearer_auth is True
    assert _parser().parse_args([*base, "--no-bearer-auth"]).bearer_auth is False
    assert BEARER["bearerAuth"]["scheme"] == "bearer"
