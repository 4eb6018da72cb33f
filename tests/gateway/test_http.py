"""The gateway over HTTP in front of a real gRPC server (the Library test service)."""

from __future__ import annotations

import base64

import grpc
import httpx
import orjson
import pytest
from gatewaytest.v1 import gatewaytest_pb2 as pb

from runyard.gateway import create_app, serve_http
from runyard.gateway.errors import GRPC_TO_HTTP


async def test_unary_response_is_protojson(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/shelves/s1/items/i1")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "name": "shelves/s1/items/i1",
        "title": "title of shelves/s1/items/i1",
        "size": "9007199254740993",
        "color": "RED",
        "createTime": "2023-11-14T22:13:20.500Z",
    }
    # response metadata as documented headers
    assert r.headers["grpc-metadata-x-item-etag"] == "abc"
    assert base64.b64decode(r.headers["grpc-metadata-x-raw-bin"]) == b"\x00\x01"
    assert r.headers["grpc-trailer-x-served-by"] == "library"


async def test_emit_unpopulated_is_a_setting(library_channel: grpc.aio.Channel) -> None:
    app = create_app(library_channel, [pb.DESCRIPTOR], emit_unpopulated=True)
    http = await serve_http(app, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}") as c:
            r = await c.get("/v1/blobs/a")
            assert r.json() == {"name": "blobs/a", "size": "7", "contentType": ""}
            r = await c.delete("/v1/shelves/s/items/i")
            assert r.json() == {}
    finally:
        await http.close()


ROUTES = [
    # method, path, body, status, expected subset of the JSON answer
    ("GET", "/v1/shelves/s/items/latest", None, 200, {"name": "shelves/s/items/LATEST"}),
    ("GET", "/v2/items/x%2Fy", None, 200, {"name": "x/y"}),  # additional binding
    ("GET", "/v1/shelves/s/items/i:xyz", None, 200, {"name": "shelves/s/items/i:xyz"}),
    (
        "POST",
        "/v1/shelves/s/items/i:archive",
        {"reason": "done"},
        200,
        {"name": "shelves/s/items/i", "archived": True, "tags": ["done"]},
    ),
    (
        "POST",
        "/v1/shelves/s/items?itemId=i9",
        {"title": "T"},
        200,
        {"name": "shelves/s/items/i9", "title": "T"},
    ),
    (
        "PATCH",
        "/v1/shelves/s/items/i?updateMask=title,createTime",
        {"title": "T2"},
        200,
        {"name": "shelves/s/items/i", "title": "T2", "tags": ["title", "create_time"]},
    ),
    ("DELETE", "/v1/shelves/s/items/i", None, 200, {}),
    ("GET", "/v1/blobs/a/b/c", None, 200, {"name": "blobs/a/b/c"}),
    ("GET", "/v1/blobs/a/info", None, 200, {"name": "blobs/a", "contentType": "info"}),
    (
        "GET",
        "/v1/echo/5?wait=2s&colors=GREEN",
        None,
        200,
        {"id": "5", "wait": "2s", "colors": ["GREEN"]},
    ),
    (
        "POST",
        "/v1/echo",
        {"id": "6", "time": "2024-01-01T00:00:00Z"},
        200,
        {"id": "6", "time": "2024-01-01T00:00:00Z"},
    ),
    ("GET", "/v1/shelves/s/items/missing", None, 404, {"code": 5}),
    ("GET", "/v1/nothing/here", None, 404, {"code": 5}),
    ("GET", "/v1/echo/abc", None, 400, {"code": 3}),
    ("GET", "/v1/echo/1?i32=x", None, 400, {"code": 3}),
    ("GET", "/v1/echo/1?i32=1&i32=2", None, 400, {"code": 3}),
    ("GET", "/v1/echo/1?i32=%zz", None, 400, {"code": 3}),
    ("GET", "/v2/items/a%zz", None, 400, {"code": 3}),
    ("POST", "/v1/echo", b"[1,2]", 400, {"code": 3}),
    ("POST", "/v1/echo", b"{bad", 400, {"code": 3}),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "want"), ROUTES)
async def test_routes(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    want: dict[str, object],
) -> None:
    content = body if isinstance(body, bytes) else (orjson.dumps(body) if body else None)
    r = await client.request(method, path, content=content)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    got = r.json()
    assert {k: got.get(k) for k in want} == want
    if status >= 400:
        assert isinstance(got["message"], str)
    if status >= 400 and "missing" not in path:  # the gateway's own errors
        assert any(d["@type"].endswith("ErrorInfo") for d in got["details"])


async def test_response_body_is_the_bare_field(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/shelves/s/items", params={"pageSize": 2})
    assert r.status_code == 200
    assert [i["name"] for i in r.json()] == ["shelves/s/items/0", "shelves/s/items/1"]


async def test_method_not_allowed_is_405_with_allow(client: httpx.AsyncClient) -> None:
    r = await client.put("/v1/shelves/s/items/i")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    assert r.headers["content-type"] == "application/json"
    assert r.json()["code"] == 12
    r = await client.get("/v1/shelves/s/items/i:archive")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


async def test_http_body_both_ways(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/blobs/a/b%20c/d:download")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv"
    assert r.content == b"name\nblobs/a/b c/d\n"
    r = await client.post(
        "/v1/blobs/x/y:upload", content=b"\x00\x01binary", headers={"content-type": "image/png"}
    )
    assert r.json() == {"name": "blobs/x/y", "size": "8", "contentType": "image/png"}


@pytest.mark.parametrize(("code", "http"), sorted(GRPC_TO_HTTP.items())[1:])
async def test_grpc_codes_map_to_http(client: httpx.AsyncClient, code: int, http: int) -> None:
    r = await client.get(f"/v1/fail/{code}", params={"message": "boom"})
    assert r.status_code == http
    body = r.json()
    assert body["code"] == code
    assert body["message"] == "boom"
    assert body["details"][0] == {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "TEST",
        "domain": "gatewaytest",
    }
    assert ("www-authenticate" in r.headers) == (http == 401)


async def test_retry_after_and_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/fail/8", params={"retryDelay": "2.2s"})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    r = await client.get(
        "/v1/fail/9",
        params={"message": "not now"},
        headers={"accept": "application/problem+json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    p = r.json()
    assert p["status"] == 400
    assert p["title"] == "Bad Request"
    assert p["detail"] == "not now"
    assert p["code"] == "FAILED_PRECONDITION"
    assert p["details"][0]["reason"] == "TEST"
    # the gateway's own errors too
    r = await client.get("/nope", headers={"accept": "application/json, application/problem+json"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get("/nope", headers={"accept": "application/problem+json;q=0"})
    assert r.headers["content-type"] == "application/json"


async def test_streaming_ndjson(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/v1/shelves/s/items:watch", params={"count": 3}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/x-ndjson"
        lines = [orjson.loads(line) async for line in r.aiter_lines() if line]
    assert [x["result"]["seq"] for x in lines] == ["1", "2", "3"]
    # failing midway: results, then one error line, HTTP 200
    r = await client.get("/v1/shelves/s/items:watch", params={"count": 2, "failCode": 14})
    lines = [orjson.loads(x) for x in r.text.splitlines()]
    assert r.status_code == 200
    assert [list(x) for x in lines] == [["result"], ["result"], ["error"]]
    assert lines[-1]["error"]["code"] == 14
    assert lines[-1]["error"]["message"] == "stream failed"
    # failing before the first message: an ordinary error response
    r = await client.get("/v1/shelves/s/items:watch", params={"count": 0, "failCode": 5})
    assert r.status_code == 404
    assert r.json()["code"] == 5
    # empty stream
    r = await client.get("/v1/shelves/s/items:watch")
    assert r.status_code == 200
    assert r.content == b""


async def test_headers_become_metadata(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/v1/headers",
        headers={
            "authorization": "Bearer t0k",
            "grpc-metadata-tenant": "acme",
            "grpc-metadata-trace-bin": base64.b64encode(b"\x01\x02").decode(),
            "grpc-timeout": "5S",
            "x-forwarded-for": "10.0.0.1",
            "x-request-id": "rid-1",
            "cookie": "secret=1",
            "x-custom": "dropped",
            "keep-alive": "timeout=5",
            "grpc-metadata-connection": "close",
        },
    )
    assert r.status_code == 200, r.text
    md = r.json()["metadata"]
    assert md["authorization"] == "Bearer t0k"
    assert md["tenant"] == "acme"
    assert md["trace-bin"] == "bin:0102"
    assert md["x-request-id"] == "rid-1"
    assert md["x-forwarded-for"] == "10.0.0.1, 127.0.0.1"
    assert md["x-forwarded-host"].startswith("127.0.0.1:")
    # grpc-timeout is rounded up on the wire, so the deadline may read a little over 5 s.
    assert 0 < float(md["time-remaining"]) <= 5.5
    for absent in ("cookie", "x-custom", "keep-alive", "connection", "grpc-metadata-tenant"):
        assert absent not in md


@pytest.mark.parametrize(
    "headers",
    [{"grpc-timeout": "5x"}, {"grpc-timeout": "123456789S"}, {"grpc-metadata-a-bin": "!!"}],
)
async def test_bad_headers_are_400(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    r = await client.get("/v1/headers", headers=headers)
    assert r.status_code == 400
    assert r.json()["code"] == 3


async def test_deadline_exceeded_is_504(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/v1/shelves/s/items:watch",
        params={"count": 1, "delayMs": 2000},
        headers={"grpc-timeout": "20m"},
    )
    assert r.status_code == 504
    assert r.json()["code"] == 4


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "/v1/shelves/{shelf}/items/{item}:archive" in paths
    get_item = paths["/v1/shelves/{shelf}/items/{item}"]
    assert set(get_item) == {"get", "delete", "patch"}
    assert get_item["get"]["x-path-variables"] == {"name": "shelves/{shelf}/items/{item}"}
    echo = paths["/v1/echo/{id}"]["get"]
    names = {p["name"] for p in echo["parameters"] if p["in"] == "query"}
    assert {"time", "wait", "mask", "nested.child.note", "colors", "i64Value"} <= {
        n.replace("i64_value", "i64Value") for n in names
    }
    assert "/v1/shelves/{shelf}/items:watch" in paths
    # A server-streaming method is declared in both stream forms; unary ones in neither.
    watch = paths["/v1/shelves/{shelf}/items:watch"]["get"]["responses"]["200"]["content"]
    assert set(watch) == {"application/x-ndjson", "text/event-stream"}
    ndjson_line = watch["application/x-ndjson"]["schema"]["properties"]["result"]
    assert watch["text/event-stream"]["x-event-data"] == ndjson_line
    assert set(get_item["get"]["responses"]["200"]["content"]) == {"application/json"}
    r = await client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "/v1/shelves/{shelf}/items/{item}:archive" in r.text
    assert "<script" not in r.text
