"""Serving the ASGI app on the running asyncio loop (beside a grpc.aio server).

The HTTP server is granian's embedded server: its HTTP parsing and I/O run
in Rust threads and only the ASGI callable runs on our loop, so the gateway
shares one loop (and one process) with the gRPC server without taking over
signals. Measured with ``bench/gateway_bench.py`` (wrk, 1 thread, 32
keep-alive connections, 3 s per row; the gateway and a grpc.aio upstream in
one child process on the 2-vCPU development machine; two runs):

=========  =====================  ======================  =====================
server     GET one item via gRPC  GET page of 100 items   404 from the gateway
=========  =====================  ======================  =====================
granian    928 / 1,096 req/s      491 / 561 req/s         12,227 / 13,980 req/s
uvicorn    918 / 1,087 req/s      511 / 424 req/s         4,120 / 3,637 req/s
=========  =====================  ======================  =====================

With an upstream call both are bound by the gRPC hop and JSON work on the one
loop; the server's own cost (the 404 row, no upstream) is 3-4x lower with
granian, which leaves more of the loop to the gRPC server beside it.
Granian is the default; ``serve_http(..., server="uvicorn")`` is kept for the
comparison. Port 0 picks a free port, reported by :attr:`HttpServer.port`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

__all__ = ["HttpServer", "serve_http"]

log = logging.getLogger("runyard.gateway")


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


async def serve_http(
    app: Any, host: str, port: int, *, server: str = "granian", start_timeout: float = 10.0
) -> HttpServer:
    """Starts serving ``app`` on ``host:port`` in the running loop; returns once it
    accepts connections."""
    if port == 0:
        port = _free_port(host)
    if server == "granian":
        from granian.constants import Interfaces
        from granian.log import LogLevels
        from granian.server.embed import Server

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
        )
        task = asyncio.create_task(srv.serve(), name=f"granian {host}:{port}")
        stop = srv.stop
    elif server == "uvicorn":
        import uvicorn

        config = uvicorn.Config(
            app, host=host, port=port, lifespan="off", log_level="warning", access_log=False
        )
        usrv = uvicorn.Server(config)
        # _serve, not serve: serve() would take over SIGINT/SIGTERM of the process.
        task = asyncio.create_task(usrv._serve(), name=f"uvicorn {host}:{port}")

        def stop() -> None:
            usrv.should_exit = True

    else:
        raise ValueError(f"unknown HTTP server {server!r}")
    try:
        await _wait_listening(host, port, task, start_timeout)
    except BaseException:
        stop()
        task.cancel()
        raise
    return HttpServer(host, port, task, stop)
