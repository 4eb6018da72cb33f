"""Thousands of idle and hundreds of slow-header connections do not stop either
gateway's HTTP address from answering a new client (granian's default cap of
1,024 connections let ~1,100 idle ones lock every new client out)."""

from __future__ import annotations

import resource
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.plugins.servers import RunyardProcess

WS = "organizations/demo/workspaces/main"
IDLE = 3000
SLOW = 300


@pytest.fixture
def open_files() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + SLOW + 512
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip(f"open-files hard limit {hard} is below {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_new_client_answered_during_connection_flood(
    open_files: None, gateway_base: str, demo_server: RunyardProcess
) -> None:
    port = int(gateway_base.rsplit(":", 1)[1])
    auth = demo_server.auth_headers("demo")
    with httpx.Client(base_url=gateway_base, timeout=30, headers=auth) as c:
        r = c.get(f"/v1/{WS}/automations/-/runs", params={"pageSize": 1})
        assert r.status_code == 200, r.text
        run = r.json()["runs"][0]["name"]
    socks: list[socket.socket] = []
    try:
        for i in range(IDLE + SLOW):  # bounded: one connect each, 10 s at most
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(s)
            if i >= IDLE:  # a request line and one header, never finished
                s.sendall(b"GET /v1/" + WS.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        with httpx.Client(base_url=gateway_base, timeout=30, headers=auth) as fresh:
            r = fresh.get(f"/v1/{run}")
        assert r.status_code == 200, r.text
        assert r.json()["name"] == run
    finally:
        for s in socks:
            s.close()
