"""runyard's HTTP/1.1 connection: an asyncio protocol on llhttp (``httptools``).

Why an own server (see :mod:`runyard.gateway.http1_server` for the numbers):
every answer, even to bytes that are not HTTP, must be a google.rpc.Status, and
connection floods must not lock new clients out — idle keep-alive connections
time out, heads must arrive within a deadline, and beyond the connection cap
the oldest waiting connection is shed.

A connection is *waiting* (sheddable, on a deadline) from its start and again
after each response until a request's head is complete; it is *busy* while a
request is answered. Pipelined requests are answered in order, one at a time:
reading pauses while one is queued, and a request whose body the app left
unread ends the connection instead of being skipped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httptools

from .http1_cycle import BODY_HIGH_WATER, ClientDisconnected, Cycle
from .http1_refusal import Refusal, malformed

if TYPE_CHECKING:
    from .http1_server import ServerState

__all__ = ["HttpConnection", "Refusal"]  # Refusal: re-exported for http1_server

_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
_ASGI = {"version": "3.0", "spec_version": "2.4"}


class HttpConnection(asyncio.Protocol):
    """One client connection of a :class:`~runyard.gateway.http1_server.ServerState`."""

    def __init__(self, server: ServerState) -> None:
        self.server = server
        self.loop = server.loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client: tuple[str, int] | None = None
        self.lost = False
        self.eof = False  # the client half-closed: end after the requests it sent
        self.dead = False  # parsing stopped: the connection ends after what is queued
        self.write_paused = False
        self.read_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self.cycle: Cycle | None = None  # the request being answered
        self.parsing: Cycle | None = None  # the request whose body is arriving
        self.pipeline: deque[Cycle] = deque()
        self.task: asyncio.Task[None] | None = None
        self.refusal: bytes | None = None
        self.idle = True  # no byte of a next request yet
        self.deadline = 0.0
        self.body_deadline = 0.0
        self.in_head = False
        self.head_began = False
        self.head_bytes = 0
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.accept = b""
        self.expect = False

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.client = (str(peer[0]), int(peer[1]))
        self.server.admit(self)

    def data_received(self, data: bytes) -> None:
        if self.dead:
            return
        if self.idle:
            self.idle = False
            self.deadline = min(self.deadline, self.loop.time() + self.server.header_timeout)
        self.head_began = False
        try:
            self.parser.feed_data(data)
        except Refusal as r:
            self.refuse(r)
            return
        except httptools.HttpParserUpgrade:
            self._no_upgrade()
            return
        except httptools.HttpParserError as e:
            cause = e.__context__ if isinstance(e.__context__, Refusal) else None
            self.refuse(cause or malformed(e))
            return
        if self.in_head and not self.head_began:
            # llhttp buffers a header line whole: bound the bytes of one head.
            self.head_bytes += len(data)
            if self.head_bytes > self.server.max_head_bytes:
                self.refuse(self.server.headers_too_large())

    def eof_received(self) -> bool | None:
        self.eof = True
        # Keep the write side open while requests sent whole before the EOF are
        # answered; a body cut short by it ends the connection (the app sees that).
        return True if self.cycle is not None and self.parsing is None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.server.forget(self)
        for c in (self.cycle, self.parsing):
            if c is not None:
                c.wake()
        self.pipeline.clear()
        for f in (self._drain, self._lost):
            if f is not None and not f.done():
                f.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # -- llhttp callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.in_head = True
        self.head_began = True
        self.head_bytes = 0
        self.url = b""
        self.headers = []
        self.header_bytes = 0
        self.accept = b""
        self.expect = False

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.server.max_uri_bytes:
            raise self.server.uri_too_long(len(self.url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        if (
            self.header_bytes > self.server.max_header_bytes
            or len(self.headers) >= self.server.max_headers
        ):
            raise self.server.headers_too_large()
        name = name.lower()
        if name == b"accept":
            self.accept = value
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        self.in_head = False
        version = parser.get_http_version()
        if version != "1.1" and version != "1.0":
            raise Refusal(505, 12, "HTTP_VERSION_NOT_SUPPORTED", f"HTTP/{version} is not served")
        raw_method = parser.get_method()
        method = _METHODS.get(raw_method) or raw_method.decode("ascii", "replace")
        raw = self.url
        if raw[:1] == b"/":
            raw_path, _, query = raw.partition(b"?")
        else:  # absolute-form (or "*"): let llhttp's URL parser split it
            try:
                url = httptools.parse_url(raw)
            except httptools.HttpParserInvalidURLError:
                raise Refusal(
                    400, 3, "MALFORMED_REQUEST", "malformed HTTP/1.1 request: invalid target"
                ) from None
            raw_path, query = url.path or b"/", url.query or b""
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        scope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version,
            "server": self.server.sockname,
            "client": self.client,
            "scheme": "http",
            "method": method,
            "root_path": "",
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": self.headers,
        }
        cycle = Cycle(self, scope, parser.should_keep_alive())
        cycle.expect_continue = self.expect
        self.parsing = cycle
        self.server.waiting.pop(self, None)
        if self.cycle is None:
            self._start(cycle)
        else:
            self.pipeline.append(cycle)
            self._pause_reading()

    def on_body(self, body: bytes) -> None:
        p = self.parsing
        if p is not None:
            p.feed(body)
            if p.size > BODY_HIGH_WATER:
                self._pause_reading()

    def on_message_complete(self) -> None:
        p = self.parsing
        if p is not None:
            p.complete = True
            p.wake()
            self.parsing = None
            if p.discard and self.transport is not None:
                self.dead = True
                self.transport.close()

    # -- exchanges -------------------------------------------------------------------

    def _start(self, cycle: Cycle) -> None:
        self.cycle = cycle
        self.task = self.loop.create_task(cycle.run(self.server.app))

    def cycle_done(self, cycle: Cycle) -> None:
        self.cycle = None
        self.task = None
        if self.lost or self.transport is None:
            return
        if not cycle.finished:
            if not cycle.wrote_head:  # the app failed before answering
                self.transport.write(self.server.internal_error(cycle.scope, self.accept))
            self.transport.close()  # a cut-short stream ends with the connection
            return
        if not cycle.keep_alive or self.server.closing:
            self.transport.close()
            return
        if not cycle.complete:
            # Answered before its body arrived (413…): read the rest and drop it, so
            # that closing does not reset the connection under the answer.
            cycle.discard = True
            cycle.chunks = []
            cycle.size = 0
            self.deadline = self.loop.time() + self.server.header_timeout
            self.server.waiting[self] = None
            self.reading_needed()
            return
        if self.pipeline:
            self._start(self.pipeline.popleft())
            self.reading_needed()
            return
        if self.refusal is not None:
            self.transport.write(self.refusal)
            self.transport.close()
            return
        if self.eof:
            self.transport.close()
            return
        if not self.in_head:
            self.idle = True
            self.deadline = self.loop.time() + self.server.idle_timeout
        self.server.waiting[self] = None
        self.reading_needed()

    def _no_upgrade(self) -> None:
        """An Upgrade or CONNECT request: answered as plain HTTP, then the connection
        ends (llhttp stops parsing at an upgrade)."""
        self.dead = True
        self._pause_reading()
        for c in (self.parsing, *self.pipeline, self.cycle):
            if c is not None:
                c.keep_alive = False
        p = self.parsing
        if p is not None:
            p.complete = True
            p.wake()
            self.parsing = None
        if self.cycle is None and self.transport is not None:
            self.transport.close()

    def refuse(self, refusal: Refusal) -> None:
        """Answers ``refusal`` after the requests already queued, then closes."""
        self.dead = True
        self._pause_reading()
        self.server.waiting.pop(self, None)
        response = self.server.rejection(refusal, self.accept, self.client)
        c = self.cycle
        if c is not None and c is self.parsing and not c.wrote_head:
            # The request being answered is itself broken (its body's framing): the
            # refusal answers it, and the app sees the client gone.
            self.lost = True
            c.wake()
            c = None
        if c is None and self.transport is not None:
            self.transport.write(response)
            self.transport.close()
        else:
            self.refusal = response

    def expire(self) -> None:
        """The idle or head deadline passed: a half-sent head gets a 408, an idle
        connection just ends."""
        if self.in_head and self.cycle is None:
            self.refuse(
                Refusal(408, 4, "REQUEST_HEADER_TIMEOUT", "the request head did not arrive in time")
            )
        elif self.transport is not None:
            self.transport.close()

    def awaiting_body(self, waiting: bool) -> None:
        """The app waits (or no longer waits) for more of the request's body: the
        body clock runs only then, so neither the app's own pace nor a queued
        request counts against the client."""
        if waiting:
            self.body_deadline = self.loop.time() + self.server.body_timeout
            self.server.receiving[self] = None
        else:
            self.server.receiving.pop(self, None)

    def body_stalled(self) -> None:
        """No body bytes within the body timeout while the app waited: 408; the app
        sees the client gone."""
        if self.cycle is not None and self.cycle.wrote_head:
            self.close()
            return
        self.refuse(Refusal(408, 4, "REQUEST_BODY_TIMEOUT", "the request body stopped arriving"))

    # -- flow control ----------------------------------------------------------------

    def _pause_reading(self) -> None:
        if not self.read_paused and self.transport is not None:
            self.read_paused = True
            self.transport.pause_reading()

    def reading_needed(self) -> None:
        if not self.read_paused or self.dead or self.pipeline or self.transport is None:
            return
        if self.parsing is not None and self.parsing.size > BODY_HIGH_WATER:
            return
        self.read_paused = False
        self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    async def drained(self) -> None:
        if self.write_paused and not self.lost:
            self._drain = self.loop.create_future()
            await self._drain
        if self.lost:
            raise ClientDisconnected("the client closed the connection")

    async def lost_future(self) -> None:
        if self.lost:
            return
        if self._lost is None:
            self._lost = self.loop.create_future()
        await self._lost

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def end_stream(self) -> bool:
        """At shutdown: ends a streamed response in progress (a clean last chunk:
        clients resume elsewhere) and the connection; false if none is."""
        c = self.cycle
        if c is None or not c.wrote_head or c.finished or self.transport is None:
            return False
        if c.chunked:
            self.transport.write(b"0\r\n\r\n")
        c.finished = True
        self.lost = True
        self.transport.close()
        if self.task is not None:  # stops the upstream call it is waiting on
            self.task.cancel()
        return True

    def abort(self, *_: Any) -> None:
        if self.transport is not None:
            self.transport.abort()
        if self.task is not None:
            self.task.cancel()
