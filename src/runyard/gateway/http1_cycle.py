"""One request/response exchange of runyard's HTTP/1.1 server (see
:mod:`runyard.gateway.http1`): the ASGI ``receive`` and ``send`` of a request.

The response head is written together with the first body part (one write for
a whole response); without a Content-Length a streamed HTTP/1.1 response is
chunked, an HTTP/1.0 one ends with the connection. HEAD requests keep the
Content-Length of the body the app produced but never send body bytes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http1 import HttpConnection

__all__ = ["ClientDisconnected", "Cycle"]

log = logging.getLogger("runyard.gateway")

# Request bodies buffered beyond this pause reading until the app takes them.
BODY_HIGH_WATER = 256 * 1024
_NO_BODY_STATUS = frozenset({204, 304})


class ClientDisconnected(OSError):
    """``send`` after the client went away (ASGI: an OSError subclass)."""


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode("latin-1")


_STATUS_LINES = {s.value: _status_line(s.value) for s in HTTPStatus}
_date_cache: list[Any] = [0, b""]


def date_header() -> bytes:
    """``date: …\\r\\n`` (RFC 9110 asks origin servers for one), formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
    return bytes(_date_cache[1])


class Cycle:
    """The ASGI request of ``conn``; ``complete`` once its body has all arrived."""

    __slots__ = (
        "chunked",
        "chunks",
        "complete",
        "conn",
        "delivered",
        "discard",
        "expect_continue",
        "finished",
        "head_only",
        "headers",
        "keep_alive",
        "scope",
        "size",
        "started",
        "status",
        "waiter",
        "wrote_head",
    )

    def __init__(self, conn: HttpConnection, scope: dict[str, Any], keep_alive: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self.head_only = scope["method"] == "HEAD"
        self.expect_continue = False
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False
        self.delivered = False
        self.discard = False  # answered already: the rest of the body is dropped
        self.waiter: asyncio.Future[None] | None = None
        self.started = False
        self.wrote_head = False
        self.finished = False
        self.chunked = False
        self.status = 0
        self.headers: Any = ()

    # -- request body (fed by the connection's parser) -------------------------------

    def feed(self, body: bytes) -> None:
        if self.discard:
            return
        self.chunks.append(body)
        self.size += len(body)
        self.wake()

    def wake(self) -> None:
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def receive(self) -> dict[str, Any]:
        conn = self.conn
        if self.delivered:  # the whole body was handed over: wait for a disconnect
            await conn.lost_future()
            return {"type": "http.disconnect"}
        if self.expect_continue and not self.chunks and not conn.lost:
            self.expect_continue = False
            conn.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while not self.chunks and not self.complete:
            if conn.lost:
                return {"type": "http.disconnect"}
            self.waiter = conn.loop.create_future()
            conn.reading_needed()
            conn.awaiting_body(True)
            try:
                await self.waiter
            finally:
                conn.awaiting_body(False)
            self.waiter = None
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks = []
        self.size = 0
        more = not self.complete
        self.delivered = not more
        if more:
            conn.reading_needed()
        return {"type": "http.request", "body": body, "more_body": more}

    # -- response --------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        conn = self.conn
        if conn.lost:
            raise ClientDisconnected("the client closed the connection")
        kind = event["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            self.status = int(event["status"])
            self.headers = event.get("headers", ())
            return
        if kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI event {kind!r}")
        if not self.started or self.finished:
            raise RuntimeError("http.response.body outside a response")
        body = event.get("body", b"")
        more = bool(event.get("more_body", False))
        if not self.wrote_head:
            self.wrote_head = True
            data = self._head(body, more)
            if body and not self.head_only and self.status not in _NO_BODY_STATUS:
                data += b"%x\r\n%b\r\n" % (len(body), body) if self.chunked else body
        elif self.head_only or not body or self.status in _NO_BODY_STATUS:
            data = b""
        elif self.chunked:
            data = b"%x\r\n%b\r\n" % (len(body), body)
        else:
            data = body
        if not more:
            self.finished = True
            if self.chunked:
                data += b"0\r\n\r\n"
        if data:
            conn.write(data)
        if more and conn.write_paused:
            await conn.drained()

    def _head(self, body: bytes, more: bool) -> bytes:
        status = self.status
        parts = [_STATUS_LINES.get(status) or _status_line(status)]
        has_length = False
        for name, value in self.headers:
            if isinstance(name, str):
                name = name.encode("latin-1")
            if isinstance(value, str):
                value = value.encode("latin-1")
            lower = name.lower()
            if lower == b"content-length":
                has_length = True
            elif lower == b"transfer-encoding":
                continue  # framing is this server's business
            elif lower == b"connection":
                if value.lower() == b"close":
                    self.keep_alive = False
                continue
            if b"\n" in value or b"\r" in value or b"\n" in name or b"\r" in name or b":" in name:
                raise RuntimeError("response header with a line break")
            parts.append(b"%b: %b\r\n" % (name, value))
        if not has_length and status not in _NO_BODY_STATUS and status >= 200:
            if not more:
                parts.append(b"content-length: %d\r\n" % len(body))
            elif self.head_only:
                pass
            elif self.scope["http_version"] == "1.1":
                self.chunked = True
                parts.append(b"transfer-encoding: chunked\r\n")
            else:
                self.keep_alive = False  # an HTTP/1.0 stream ends with the connection
        if self.conn.server.closing:
            self.keep_alive = False
        parts.append(date_header())
        if not self.keep_alive:
            parts.append(b"connection: close\r\n")
        elif self.scope["http_version"] == "1.0":
            parts.append(b"connection: keep-alive\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except Exception:
            log.exception("ASGI app failed on %s %s", self.scope["method"], self.scope["path"])
        finally:
            self.conn.cycle_done(self)
