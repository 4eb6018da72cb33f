"""Gateway throughput on its HTTP servers side by side: runyard's own
(runyard.gateway.http1_server) and granian's embedded one (uvicorn was compared
once, see runyard.gateway.server, and is not a dependency).

The Library test service and the gateway run in a child process on one asyncio
loop (as in ``runyard serve``); this process drives it with keep-alive
connections. Every run is bounded in requests and seconds. Figures vary 20-50 %
between runs on a shared machine: compare servers within one run.

    .venv/bin/python bench/gateway_bench.py [--seconds 3] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {
    "small GET": "/v1/shelves/s/items/i",
    "page of 100": "/v1/shelves/s/items?pageSize=100",
    "404 (gateway)": "/v1/nope",
}


async def _serve(server: str, port: int) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "gen")]
    import grpc
    from gatewaytest.v1 import gatewaytest_pb2 as pb

    from runyard.gateway import create_app, serve_http
    from tests.gateway.library import start_library

    grpc_server, gport = await start_library(reflect=False)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{gport}")
    http = await serve_http(create_app(channel, [pb.DESCRIPTOR]), "127.0.0.1", port, server=server)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await http.close()
    await grpc_server.stop(None)


def _wrk(url: str, seconds: float, concurrency: int) -> float | None:
    # wrk (C, one thread) when installed: the Python client is slower than the servers.
    import re
    import shutil

    if not shutil.which("wrk"):
        return None
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    return float(m.group(1)) if m else None


async def _drive(url: str, seconds: float, concurrency: int, max_requests: int) -> float:
    import httpx

    qps = _wrk(url, seconds, concurrency)
    if qps is not None:
        return qps

    done = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline and done < max_requests:
                r = await client.get(url)
                r.read()
                done += 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.monotonic() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--max-requests", type=int, default=200_000)
    args = ap.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.port))
        return
    import socket

    results: dict[str, dict[str, float]] = {}
    for server in ("runyard", "granian"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", server, "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ},
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
            results[server] = {
                name: asyncio.run(
                    _drive(
                        f"http://127.0.0.1:{port}{path}",
                        args.seconds,
                        args.concurrency,
                        args.max_requests,
                    )
                )
                for name, path in ENDPOINTS.items()
            }
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    print(f"{'server':10}" + "".join(f"{n:>16}" for n in ENDPOINTS))
    for server, row in results.items():
        print(f"{server:10}" + "".join(f"{row[n]:>14.0f}/s" for n in ENDPOINTS))


if __name__ == "__main__":
    main()
