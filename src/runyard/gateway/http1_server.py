"""runyard's own HTTP/1.1 server for the gateway's ASGI app, on the running loop.

Limits (all :class:`HttpLimits`, set from ``--http-*`` options):

- ``max_connections`` open at once; at the cap a new connection sheds the one
  that has waited longest without a request in progress (idle keep-alive or a
  head still arriving) — or, when every connection is busy, gets an immediate
  503 UNAVAILABLE (``TOO_MANY_CONNECTIONS``) and is closed. The process's
  open-files limit is raised to fit; below it the cap is lowered instead.
- ``idle_timeout``: a keep-alive connection with no new request is closed.
- ``header_read_timeout``: a request head (request line and headers) must
  arrive within this long from the connection's start or its first byte;
  otherwise 408 and the connection ends.
- ``body_read_timeout``: while the app waits for more of a request's body, the
  next bytes must arrive within this long; otherwise 408 and the connection
  ends (a stalled upload does not hold a busy, unsheddable connection forever).
- ``max_uri_bytes`` (414), ``max_headers``/``max_header_bytes`` (431); bytes
  that are not HTTP/1.1 get 400 ``MALFORMED_REQUEST``, other versions 505.

Every answer the server gives itself is the gateway's google.rpc.Status JSON
(or problem+json when the request's Accept asked for it) with an ErrorInfo
reason, an ``X-Request-Id`` and an access-log line, like every other error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from google.rpc import code_pb2

from .errors import error_response, gateway_error
from .http1 import HttpConnection, Refusal
from .http1_cycle import _STATUS_LINES, _status_line, date_header

__all__ = ["HttpLimits", "OwnHttpServer", "ServerState", "serve_own"]

log = logging.getLogger("runyard.gateway")
access_log = logging.getLogger("runyard.http")


@dataclass(frozen=True)
class HttpLimits:
    max_connections: int = 16_384
    idle_timeout: float = 60.0
    header_read_timeout: float = 10.0
    body_read_timeout: float = 30.0
    max_uri_bytes: int = 64 * 1024
    max_headers: int = 100
    max_header_bytes: int = 64 * 1024


class ServerState:
    """What the connections of one listening address share."""

    def __init__(self, app: Any, limits: HttpLimits, domain: str, cap: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.app = app
        self.domain = domain
        self.cap = cap
        self.idle_timeout = limits.idle_timeout
        self.header_timeout = limits.header_read_timeout
        self.body_timeout = limits.body_read_timeout
        self.max_uri_bytes = limits.max_uri_bytes
        self.max_headers = limits.max_headers
        self.max_header_bytes = limits.max_header_bytes
        self.max_head_bytes = limits.max_uri_bytes + limits.max_header_bytes + 8192
        self.sockname: tuple[str, int] | None = None
        self.closing = False
        self.connections: set[HttpConnection] = set()
        # Connections without a request in progress, oldest first: the ones to shed.
        self.waiting: dict[HttpConnection, None] = {}
        # Connections whose app waits for more request body, on a body deadline.
        self.receiving: dict[HttpConnection, None] = {}
        self.all_gone = asyncio.Event()

    def admit(self, conn: HttpConnection) -> None:
        if self.closing:
            conn.close()
            return
        if len(self.connections) >= self.cap:
            victim = next(iter(self.waiting), None)
            if victim is None:
                conn.refuse(
                    Refusal(
                        503,
                        code_pb2.UNAVAILABLE,
                        "TOO_MANY_CONNECTIONS",
                        f"the server has {self.cap:,} connections busy; retry shortly",
                    )
                )
                return
            self.forget(victim)
            victim.close()
        self.connections.add(conn)
        self.all_gone.clear()
        conn.deadline = self.loop.time() + self.header_timeout
        self.waiting[conn] = None

    def forget(self, conn: HttpConnection) -> None:
        self.waiting.pop(conn, None)
        self.receiving.pop(conn, None)
        self.connections.discard(conn)
        if not self.connections:
            self.all_gone.set()

    async def sweep(self) -> None:
        """Closes connections past their idle, head or body deadline."""
        shortest = min(self.idle_timeout, self.header_timeout, self.body_timeout)
        period = min(1.0, max(0.05, shortest / 4))
        while True:
            await asyncio.sleep(period)
            now = self.loop.time()
            for conn in [c for c in self.waiting if c.deadline <= now]:
                self.waiting.pop(conn, None)
                conn.expire()
            for conn in [c for c in self.receiving if c.body_deadline <= now]:
                self.receiving.pop(conn, None)
                conn.body_stalled()

    # -- the server's own answers ------------------------------------------------------

    def uri_too_long(self, size: int) -> Refusal:
        return Refusal(
            414,
            code_pb2.INVALID_ARGUMENT,
            "URI_TOO_LONG",
            f"request URI of more than {self.max_uri_bytes:,} bytes",
        )

    def headers_too_large(self) -> Refusal:
        return Refusal(
            431,
            code_pb2.INVALID_ARGUMENT,
            "HEADERS_TOO_LARGE",
            f"request headers beyond {self.max_headers} headers or {self.max_header_bytes:,} bytes",
        )

    def internal_error(self, scope: dict[str, Any], accept: bytes) -> bytes:
        return self.rejection(
            Refusal(500, code_pb2.INTERNAL, "INTERNAL", "internal error"), accept, scope["client"]
        )

    def rejection(self, r: Refusal, accept: bytes, client: tuple[str, int] | None) -> bytes:
        """The whole response for ``r`` (the connection closes after it), logged."""
        err = gateway_error(r.code, r.message, r.reason, self.domain, http_status=r.http_status)
        status, headers, body = error_response(err, accept=accept.decode("latin-1"))
        rid = uuid.uuid4().hex
        head = [_STATUS_LINES.get(status) or _status_line(status)]
        head += [f"{k}: {v}\r\n".encode("latin-1") for k, v in headers]
        if status == 503:
            head.append(b"retry-after: 1\r\n")
        head += [
            b"content-length: %d\r\n" % len(body),
            b"x-request-id: " + rid.encode() + b"\r\n",
            date_header(),
            b"connection: close\r\n\r\n",
        ]
        _log_rejection(status, r.message, client, rid)
        return b"".join(head) + body


def _log_rejection(status: int, why: str, client: tuple[str, int] | None, rid: str) -> None:
    from runyard.ops.metrics import METRICS

    METRICS.http("-", "-", status, 0.0)
    access = {
        "kind": "http",
        "method": "-",
        "route": "-",
        "path": "",
        "status": status,
        "duration_ms": 0.0,
        "peer": f"{client[0]}:{client[1]}" if client else "",
        "request_id": rid,
        "rejected": why,
    }
    access_log.info("- - %d 0.0ms", status, extra={"access": access})


class OwnHttpServer:
    """A running server; ``await close()`` stops listening, closes waiting
    connections, ends streamed responses (cleanly: their clients resume), and
    lets the other requests in flight finish (``timeout`` seconds at most)."""

    def __init__(
        self, host: str, port: int, server: asyncio.AbstractServer, state: ServerState
    ) -> None:
        self.host = host
        self.port = port
        self._server = server
        self._state = state
        self._sweeper = asyncio.create_task(state.sweep(), name=f"http idle sweep {port}")

    @property
    def connections(self) -> int:
        return len(self._state.connections)

    async def close(self, timeout: float = 10.0) -> None:
        state = self._state
        if state.closing:
            return
        state.closing = True
        self._server.close()
        for conn in list(state.waiting):
            state.forget(conn)
            conn.close()
        for conn in list(state.connections):
            conn.end_stream()  # watch streams never finish by themselves
        if state.connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.all_gone.wait(), timeout)
        for conn in list(state.connections):
            conn.abort()
        self._sweeper.cancel()
        with contextlib.suppress(BaseException):
            await self._sweeper


async def serve_own(
    app: Any,
    host: str,
    port: int,
    *,
    limits: HttpLimits,
    cap: int,
    error_domain: str,
    reuse_port: bool = False,
) -> OwnHttpServer:
    """Listens on ``host:port`` (port 0: a free one) and serves ``app``."""
    state = ServerState(app, limits, error_domain, cap)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpConnection(state),
        host or None,
        port,
        backlog=1024,
        reuse_address=True,
        reuse_port=reuse_port or None,
    )
    sock = server.sockets[0]
    bound = sock.getsockname()
    state.sockname = (str(bound[0]), int(bound[1]))
    return OwnHttpServer(host, int(bound[1]), server, state)
