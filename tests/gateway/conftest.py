"""Fixtures: a real Library gRPC server and the gateway in front of it, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from gatewaytest.v1 import gatewaytest_pb2 as pb

from runyard.gateway import create_app, serve_http
from tests.gateway.library import start_library


@pytest.fixture
async def library_port() -> AsyncIterator[int]:
    server, port = await start_library()
    try:
        yield port
    finally:
        await server.stop(None)


@pytest.fixture
async def library_channel(library_port: int) -> AsyncIterator[grpc.aio.Channel]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{library_port}")
    try:
        yield channel
    finally:
        await channel.close()


@pytest.fixture
async def gateway_url(library_channel: grpc.aio.Channel) -> AsyncIterator[str]:
    app = create_app(library_channel, [pb.DESCRIPTOR])
    http = await serve_http(app, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{http.port}"
    finally:
        await http.close()


@pytest.fixture
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as c:
        yield c
