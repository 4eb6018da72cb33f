"""runyard's own HTTP/1.1 server (runyard.gateway.http1*) with small ASGI apps,
over raw sockets on 127.0.0.1: framing, pipelining, limits, timeouts, shedding."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runyard.gateway import serve_http


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the method, path and the whole request body it read."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one ", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    out = f"{scope['method']} {scope['path']} {scope['query_string'].decode()} ".encode() + body
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/x")]}
    )
    await send({"type": "http.response.body", "body": out})


@pytest.fixture
async def port() -> AsyncIterator[int]:
    server = await serve_http(echo_app, "127.0.0.1", 0, idle_timeout=0.5, header_read_timeout=0.5)
    try:
        yield server.port
    finally:
        await server.close()


async def exchange(port: int, data: bytes, *, wait_close: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        if wait_close:
            return await asyncio.wait_for(reader.read(), 30)
        return await asyncio.wait_for(reader.read(65536), 30)
    finally:
        writer.close()


def responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Splits raw HTTP/1.1 responses framed by Content-Length or chunked."""
    out = []
    while raw:
        head, _, raw = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line, _, raw = raw.partition(b"\r\n")
                size = int(size_line, 16)
                body, raw = body + raw[:size], raw[size + 2 :]
                if size == 0:
                    break
        else:
            n = int(headers.get("content-length", "0"))
            body, raw = raw[:n], raw[n:]
        out.append((int(lines[0].split()[1]), headers, body))
    return out


async def test_pipelined_requests_answered_in_order(port: int) -> None:
    reqs = b"".join(
        b"POST /p%d HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nb%d" % (i, i) for i in range(5)
    )
    raw = await exchange(port, reqs + b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = responses(raw)
    assert [b for _, _, b in got] == [b"POST /p%d  b%d" % (i, i) for i in range(5)] + [
        b"GET /last  "
    ]
    assert got[-1][1]["connection"] == "close"


async def test_chunked_request_body_and_streamed_response(port: int) -> None:
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    raw = await exchange(
        port,
        b"POST /c?x=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + body
        + b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    (s1, _, b1), (s2, h2, b2) = responses(raw)
    assert (s1, b1) == (200, b"POST /c x=1 hello world")
    assert (s2, h2["transfer-encoding"], b2) == (200, "chunked", b"one two")


async def test_head_keeps_length_without_body(port: int) -> None:
    raw = await exchange(port, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"content-length: 9" in head.lower() and rest == b""


async def test_expect_continue(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert line.startswith(b"HTTP/1.1 100")
    writer.write(b"abc")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert head.startswith(b"HTTP/1.1 200")
    writer.close()


async def test_idle_and_slow_head_connections_are_closed(port: int) -> None:
    # Idle keep-alive after a response: closed without a word.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
    first = await asyncio.wait_for(reader.readuntil(b"GET /a  "), 30)
    assert first.startswith(b"HTTP/1.1 200")
    assert await asyncio.wait_for(reader.read(), 30) == b""
    writer.close()
    # A head that never ends: 408 with a Status body, then closed.
    raw = await exchange(port, b"GET /slow HTTP/1.1\r\nHost: x\r\n")
    ((status, headers, body),) = responses(raw)
    assert status == 408 and headers["content-type"] == "application/json"
    assert json.loads(body)["details"][0]["reason"] == "REQUEST_HEADER_TIMEOUT"


async def test_a_body_that_stops_arriving_gets_408() -> None:
    server = await serve_http(echo_app, "127.0.0.1", 0, body_read_timeout=2.0)
    try:
        # Bytes keep coming, each part well within the timeout: answered whole.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
        for part in (b"ab", b"cd", b"ef"):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.02)
        assert (await asyncio.wait_for(reader.readuntil(b"abcdef"), 30)).startswith(b"HTTP/1.1 200")
        writer.close()
        # Part of the body, then nothing: 408 with a Status body, then closed.
        raw = await exchange(
            server.port, b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
        )
        ((status, headers, body),) = responses(raw)
        assert status == 408 and headers["content-type"] == "application/json"
        assert json.loads(body)["details"][0]["reason"] == "REQUEST_BODY_TIMEOUT"
    finally:
        await server.close()


async def test_at_the_cap_the_oldest_idle_connection_is_shed() -> None:
    server = await serve_http(echo_app, "127.0.0.1", 0, max_connections=3)
    try:
        idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
        await asyncio.sleep(0.1)
        raw = await exchange(
            server.port, b"GET /new HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert responses(raw)[0][2] == b"GET /new  "
        assert await asyncio.wait_for(idle[0][0].read(), 30) == b""  # the oldest went
        for _, w in idle:
            w.close()
    finally:
        await server.close()


async def test_at_the_cap_with_every_connection_busy_new_ones_get_503() -> None:
    release = asyncio.Event()

    async def busy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    server = await serve_http(busy, "127.0.0.1", 0, max_connections=2, error_domain="test.dev")
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
        for _, w in held:
            w.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.2)
        ((status, headers, body),) = responses(await exchange(server.port, b""))
        assert status == 503 and headers["retry-after"] == "1"
        info = json.loads(body)["details"][0]
        assert (info["reason"], info["domain"]) == ("TOO_MANY_CONNECTIONS", "test.dev")
        release.set()
        for r, w in held:
            assert (await asyncio.wait_for(r.readuntil(b"ok"), 30)).startswith(b"HTTP/1.1 200")
            w.close()
    finally:
        await server.close()


async def test_answer_before_the_body_arrives_drains_it() -> None:
    async def early(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"too large"})

    server = await serve_http(early, "127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"too large"), 30)
        assert head.startswith(b"HTTP/1.1 413")
        for _ in range(30):  # the rest of the body is read and dropped, then the end
            writer.write(b"x" * 100_000)
            await writer.drain()
        assert await asyncio.wait_for(reader.read(), 30) == b""
        writer.close()
    finally:
        await server.close()


async def test_reuse_port_lets_two_servers_share_a_port() -> None:
    first = await serve_http(echo_app, "127.0.0.1", 0, reuse_port=True)
    second = await serve_http(echo_app, "127.0.0.1", first.port, reuse_port=True)
    try:
        raw = await exchange(first.port, b"GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert responses(raw)[0][0] == 200
    finally:
        await first.close()
        await second.close()


async def test_requests_before_a_half_close_are_answered(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
    writer.write_eof()
    got = responses(await asyncio.wait_for(reader.read(), 30))
    assert [b for _, _, b in got] == [b"GET /1  ", b"GET /2  "]
    writer.close()


async def test_close_ends_streams_cleanly() -> None:
    async def endless(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            await send({"type": "http.response.body", "body": b"tick", "more_body": True})
            await asyncio.sleep(0.05)

    server = await serve_http(endless, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.wait_for(reader.readuntil(b"tick"), 30)
    await asyncio.wait_for(server.close(), 30)
    rest = await asyncio.wait_for(reader.read(), 30)
    assert rest.endswith(b"0\r\n\r\n")  # the last chunk: a complete response
    writer.close()


async def test_a_body_with_broken_framing_is_refused(port: int) -> None:
    raw = await exchange(
        port, b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
    )
    ((status, headers, body),) = responses(raw)
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(body)["details"][0]["reason"] == "MALFORMED_REQUEST"


async def test_a_body_cut_short_by_a_half_close_ends_the_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this")
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 30) == b""
    writer.close()
