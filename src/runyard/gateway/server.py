"""Serving the ASGI app on the running asyncio loop (beside a grpc.aio server).

Two servers, chosen by ``serve_http(server=…)`` (``--http-server``):

- ``"runyard"`` (default): :mod:`runyard.gateway.http1_server`, runyard's own
  HTTP/1.1 server on llhttp — idle and head timeouts, shedding of the oldest
  waiting connection at the cap, a google.rpc.Status for every answer it gives
  itself (400/408/414/431/503/505), SO_REUSEPORT. Measured against granian in
  docs/gateway.md: equal through the gateway, 2-4x less CPU on its own work.
- ``"granian"``: granian's embedded server; its HTTP parsing and I/O run in
  Rust threads and only the ASGI callable runs on our loop. It has no idle
  timeout (``header_read_timeout`` applies once a request has begun), accepts
  at most ``backpressure`` connections (set to ``max_connections``; beyond it
  new clients wait in the listen queue) and answers malformed requests itself
  with an empty body. (uvicorn, measured once, was no faster than granian
  through the gateway and 3-4x slower on its own work; not a dependency.)

Both raise the process's open-files limit to fit ``max_connections``. Port 0
picks a free port, reported by the returned server's ``port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

__all__ = [
    "HEADER_READ_TIMEOUT_S",
    "HTTP_SERVERS",
    "IDLE_TIMEOUT_S",
    "MAX_CONNECTIONS",
    "HttpServer",
    "serve_http",
]

log = logging.getLogger("runyard.gateway")

MAX_CONNECTIONS = 16_384
HEADER_READ_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 60.0


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class HttpServer:
    """A running HTTP server; ``await close()`` stops it."""

    def __init__(self, host: str, port: int, task: asyncio.Task[Any], stop: Any) -> None:
        self.host = host
        self.port = port
        self._task = task
        self._stop = stop

    async def close(self, timeout: float = 10.0) -> None:
        if self._task.done():
            return
        self._stop()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        except Exception:
            log.exception("HTTP server stopped with an error")


async def _wait_listening(host: str, port: int, task: asyncio.Task[Any], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    connect_host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    while True:
        if task.done():
            task.result()  # raises the server's start-up error
            raise OSError(f"HTTP server on {host}:{port} exited at start-up")
        try:
            _, writer = await asyncio.open_connection(connect_host, port)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return
        except OSError:
            if loop.time() > deadline:
                raise OSError(f"HTTP server did not start listening on {host}:{port}") from None
            await asyncio.sleep(0.02)


HTTP_SERVERS = ("runyard", "granian")


async def serve_http(
    app: Any,
    host: str,
    port: int,
    *,
    server: str = "runyard",
    max_connections: int = MAX_CONNECTIONS,
    header_read_timeout: float = HEADER_READ_TIMEOUT_S,
    idle_timeout: float = IDLE_TIMEOUT_S,
    body_read_timeout: float = 30.0,
    error_domain: str = "gateway",
    reuse_port: bool = False,
    start_timeout: float = 10.0,
) -> Any:
    """Starts serving ``app`` on ``host:port`` in the running loop; returns once it
    accepts connections (an object with ``port`` and ``await close()``).

    ``server`` is ``"runyard"`` (:mod:`runyard.gateway.http1_server`: idle and
    head timeouts, shedding at ``max_connections``, Status bodies for its own
    errors, SO_REUSEPORT with ``reuse_port``) or ``"granian"`` (no idle timeout,
    empty-bodied errors of its own; beyond ``max_connections`` new clients wait)."""
    soft = raise_open_files_limit(max_connections + 1024)
    if server == "granian":
        if reuse_port:
            raise ValueError("granian's embedded server cannot share its port (SO_REUSEPORT)")
        return await _serve_granian(
            app, host, port, max_connections, header_read_timeout, start_timeout
        )
    if server != "runyard":
        raise ValueError(f"unknown HTTP server {server!r}; one of {', '.join(HTTP_SERVERS)}")
    from .http1_server import HttpLimits, serve_own

    cap = max_connections
    if soft < max_connections + 1024:
        cap = max(16, soft - 1024)
        log.warning("open-files limit %d: at most %d HTTP connections", soft, cap)
    limits = HttpLimits(
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        header_read_timeout=header_read_timeout,
        body_read_timeout=body_read_timeout,
    )
    return await serve_own(
        app, host, port, limits=limits, cap=cap, error_domain=error_domain, reuse_port=reuse_port
    )


async def _serve_granian(
    app: Any,
    host: str,
    port: int,
    max_connections: int,
    header_read_timeout: float,
    start_timeout: float,
) -> HttpServer:
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server.embed import Server

    if port == 0:
        port = _free_port(host)
    # The embedded server logs a warning about being experimental on every
    # start; only errors matter here.
    logging.getLogger("_granian").setLevel(logging.ERROR)
    srv = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGINL,
        websockets=False,
        log_enabled=False,
        log_level=LogLevels.error,
        backlog=1024,
        # granian holds one permit per open connection: its default (the backlog,
        # 1,024) let ~1,100 idle connections lock every new client out.
        backpressure=max_connections,
        http1_settings=HTTP1Settings(header_read_timeout=int(header_read_timeout * 1000)),
    )
    task = asyncio.create_task(srv.serve(), name=f"granian {host}:{port}")
    try:
        await _wait_listening(host, port, task, start_timeout)
    except BaseException:
        srv.stop()
        task.cancel()
        raise
    return HttpServer(host, port, task, srv.stop)


def raise_open_files_limit(want: int) -> int:
    """Raises this process's soft RLIMIT_NOFILE towards ``want`` (never above the
    hard limit) so that connections, not descriptors, are what runs out; returns
    the soft limit now in force."""
    try:
        import resource
    except ImportError:  # not on this platform
        return want
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            log.warning("cannot raise the open-files limit from %d to %d", soft, target)
    if soft != resource.RLIM_INFINITY and soft < want:
        log.warning("open-files limit %d is below the %d connections allowed", soft, want)
    return int(soft)
