"""An ASGI observer around the gateway: request ids, access log, metrics,
``GET /metrics`` and ``GET /healthz``. Generic: it knows routes only as the
templates the gateway reports in the ASGI scope.

- Request id: the client's ``X-Request-Id`` when it is 1-128 characters of
  ``[A-Za-z0-9._:-]``, else a new one; returned as ``X-Request-Id`` and passed
  upstream as ``x-request-id`` metadata (the gateway forwards that header).
- One access-log line per request (logger ``runyard.http``): method, route,
  path, status, duration, peer, request id, and why the gateway itself refused
  a request (``rejected``).
- ``GET /metrics``: Prometheus text from ``metrics_body``.
- ``GET /healthz``: 200 ``{"status":"SERVING"}`` when ``health()`` is true,
  else 503 ``{"status":"NOT_SERVING"}``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from runyard.ops.metrics import CONTENT_TYPE, METRICS, Metrics

__all__ = ["Observer"]

log = logging.getLogger("runyard.http")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}\Z")


class Observer:
    """Wraps ``app`` (an ASGI app); ``health`` says whether to answer 200 on /healthz."""

    def __init__(
        self,
        app: App,
        *,
        health: Callable[[], Awaitable[bool]] | None = None,
        metrics: Metrics = METRICS,
    ) -> None:
        self.app = app
        self.health = health
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _take_request_id(scope)
        status = 500
        rid = request_id.encode()

        async def observed_send(event: dict[str, Any]) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = int(event["status"])
                event = {**event, "headers": [*event.get("headers", []), (b"x-request-id", rid)]}
            await send(event)

        method = scope["method"]
        path = scope.get("path", "")
        own = method in ("GET", "HEAD") and path in ("/metrics", "/healthz")
        try:
            if own:
                await self._own(path, method, observed_send)
                scope["gateway.route"] = f"GET {path}"
            else:
                await self.app(scope, receive, observed_send)
        finally:
            self._record(scope, status, time.perf_counter() - started, request_id)

    async def _own(self, path: str, method: str, send: Send) -> None:
        if path == "/metrics":
            body = self.metrics.exposition()
            status, ctype = 200, CONTENT_TYPE
        else:
            ok = True
            if self.health is not None:
                try:
                    ok = await self.health()
                except Exception:
                    log.exception("health check failed")
                    ok = False
            status = 200 if ok else 503
            body = b'{"status":"SERVING"}' if ok else b'{"status":"NOT_SERVING"}'
            ctype = "application/json"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"cache-control", b"no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        method = scope["method"]
        route = scope.get("gateway.route", "-")
        self.metrics.http(method, route, status, seconds)
        if route in ("GET /metrics", "GET /healthz"):
            return  # scrapes and probes would drown the log
        rejected = scope.get("gateway.rejected")
        client = scope.get("client")
        access: dict[str, Any] = {
            "kind": "http",
            "method": method,
            "route": route,
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "peer": f"{client[0]}:{client[1]}" if client else "",
            "request_id": request_id,
        }
        if rejected:
            access["rejected"] = rejected
        log.info(
            "%s %s %d %.1fms",
            method,
            scope.get("path", ""),
            status,
            seconds * 1000,
            extra={"access": access},
        )


def _take_request_id(scope: Scope) -> str:
    """The request's id, written into its headers so the gateway forwards it."""
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
    for i, (k, v) in enumerate(headers):
        if k == b"x-request-id":
            if _REQUEST_ID.match(v):
                return v.decode()
            del headers[i]
            break
    rid = uuid.uuid4().hex
    headers.append((b"x-request-id", rid.encode()))
    scope["headers"] = headers
    return rid
