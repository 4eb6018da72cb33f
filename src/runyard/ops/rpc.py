"""The gRPC side of operations: one access-log line and the metrics of a call.

Called by the server interceptor (runyard.api.interceptors) when a call ends.
The request id is the caller's ``x-request-id`` metadata (the HTTP gateway
sends its own request id there), so an HTTP access line and the gRPC line of
the call it made share it.
"""

from __future__ import annotations

import logging
from typing import Any

from runyard.ops.metrics import METRICS

__all__ = ["finished", "logged", "stream_closed", "stream_opened"]

log = logging.getLogger("runyard.rpc")


def _request_id(context: Any) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "x-request-id" and isinstance(value, str):
            return value[:128]
    return ""


def stream_opened(method: str) -> None:
    METRICS.streams.labels(method).inc()


def stream_closed(method: str) -> None:
    METRICS.streams.labels(method).dec()


def _level(method: str) -> int:
    return logging.DEBUG if method.startswith("/grpc.") else logging.INFO


def logged(method: str) -> bool:
    """Whether a call of `method` gets an access-log line (at the log level now):
    what the line shows of the call need not be taken otherwise."""
    return log.isEnabledFor(_level(method))


def finished(method: str, code: str, seconds: float, principal: str, context: Any) -> None:
    METRICS.rpc(method, code, seconds)
    level = _level(method)
    if not log.isEnabledFor(level):
        return
    peer = ""
    request_id = ""
    if context is not None:
        peer = context.peer() or ""
        request_id = _request_id(context)
    log.log(
        level,
        "%s %s %.1fms principal=%s",
        method,
        code,
        seconds * 1000,
        principal,
        extra={
            "access": {
                "kind": "grpc",
                "method": method,
                "code": code,
                "duration_ms": round(seconds * 1000, 3),
                "principal": principal,
                "peer": peer,
                "request_id": request_id,
            }
        },
    )
