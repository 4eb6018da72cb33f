"""Closing the HTTP server lets a request in flight finish (graceful stop)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from runyard.gateway import serve_http


async def test_close_finishes_requests_in_flight() -> None:
    started = asyncio.Event()

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        started.set()
        await asyncio.sleep(0.5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"finished"})

    server = await serve_http(slow_app, "127.0.0.1", 0)
    async with httpx.AsyncClient(timeout=30) as client:
        request = asyncio.create_task(client.get(f"http://127.0.0.1:{server.port}/"))
        await asyncio.wait_for(started.wait(), 30)
        await server.close()
        response = await request
    assert response.status_code == 200 and response.text == "finished"
