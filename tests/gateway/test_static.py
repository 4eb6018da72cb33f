"""The gateway's static site: files it is given at the paths no HTTP rule claims."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from gatewaytest.v1 import gatewaytest_pb2 as pb

from runyard.gateway import create_app, serve_http
from runyard.gateway.static import StaticSite


@pytest.fixture
def site(tmp_path: Path) -> StaticSite:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "app.js").write_text("export const x = 1;")
    (root / "sub" / "index.html").write_text("sub home")
    (root / ".secret").write_text("hidden")
    (tmp_path / "outside.txt").write_text("not served")
    return StaticSite(root)


@pytest.fixture
async def static_client(
    library_channel: grpc.aio.Channel, site: StaticSite
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(library_channel, [pb.DESCRIPTOR], static=site)
    http = await serve_http(app, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}", timeout=10) as c:
            yield c
    finally:
        await http.close()


async def test_index_and_files_with_their_types(static_client: httpx.AsyncClient) -> None:
    root = await static_client.get("/")
    assert root.status_code == 200
    assert root.text == "<h1>home</h1>"
    assert root.headers["content-type"] == "text/html; charset=utf-8"
    assert root.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in root.headers["content-security-policy"]
    js = await static_client.get("/app.js?v=1")
    assert js.headers["content-type"].startswith("text/javascript")
    assert (await static_client.get("/sub/")).text == "sub home"
    head = await static_client.head("/app.js")
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize(
    "path", ["/../outside.txt", "/%2e%2e/outside.txt", "/.secret", "/nope.js", "/sub"]
)
async def test_unknown_paths_are_the_gateways_404(
    static_client: httpx.AsyncClient, path: str
) -> None:
    r = await static_client.get(path)
    assert r.status_code == 404
    assert r.json()["details"][0]["reason"] == "ROUTE_NOT_FOUND"


async def test_rules_and_documents_take_precedence(static_client: httpx.AsyncClient) -> None:
    assert (await static_client.get("/openapi.json")).headers["content-type"] == "application/json"
    post = await static_client.post("/", content=b"{}")
    assert post.status_code == 404


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        StaticSite(tmp_path / "missing")
