"""gRPC ListRuns (the filtered page of 50) at c=16 against `serve --workers 2` vs
the shared one-process server, on the same data: what a second core buys.

Both are driven alike: 16 callers, each on a connection of its own (one HTTP/2
connection stays with the worker that accepted it, so the kernel can only
spread connections). The load generator runs in this process, on the same two
cores as the servers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grpc

from bench import procs
from bench.context import Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc

CONCURRENCY = 16
WORKERS = 2
ROUNDS = 2


def listeners(port: int) -> int:
    """Linux: TCP sockets listening on `port` (one per worker with SO_REUSEPORT;
    grpc's are IPv6 sockets with v4-mapped addresses)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            return WORKERS  # cannot tell: trust the health check alone
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            count += local.endswith(f":{port:04X}") and state == "0A"
    return count


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    port = procs.free_port()
    several = procs.Child(
        f"runyard --workers {WORKERS}",
        [
            sys.executable,
            "-m",
            "runyard",
            "--log-level",
            "WARNING",
            "serve",
            "--database-url",
            target.database_url,
            "--grpc-address",
            f"127.0.0.1:{port}",
            "--http-address",
            "none",
            "--insecure-no-auth",  # as the shared server (bench/procs.py)
            "--workers",
            str(WORKERS),
        ],
        bench.workdir / f"runyard-workers-{port}.log",
        cwd=bench.workdir,
    ).start()
    try:
        several.wait_until(
            lambda: listeners(port) >= WORKERS and procs.grpc_serving(f"127.0.0.1:{port}"),
            timeout=120,
        )
        request = bench.list_request()
        # Alternating rounds, the best of each: other work on a shared machine
        # drifts, and should not land on one side only.
        ones, twos = [], []
        for _ in range(ROUNDS):
            ones.append(await spread_load(bench, target.grpc, request))
            twos.append(await spread_load(bench, f"127.0.0.1:{port}", request))
        one = max(ones, key=lambda r: r.qps)
        two = max(twos, key=lambda r: r.qps)
        bench.add(
            Row(
                f"gRPC ListRuns, --workers {WORKERS} vs 1, c={CONCURRENCY}",
                two.qps,
                one.qps,
                "req/s",
                f"one connection per caller, load generator on the same cores, "
                f"best of {ROUNDS} alternating rounds; "
                f"{WORKERS} workers {lat(two)}, 1 worker {lat(one)}" + errs(two, one),
                {"workers": two.as_dict(), "one": one.as_dict(), "filter": bench.filter},
            )
        )
    finally:
        several.stop()


async def spread_load(
    bench: Bench, target: str, request: run_service_pb2.ListRunsRequest
) -> LoadResult:
    # A local subchannel pool per channel: each caller gets a connection of its own.
    channels = [
        grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(CONCURRENCY)
    ]
    stubs = [run_service_pb2_grpc.RunServiceStub(ch) for ch in channels]
    turn = 0
    try:

        async def call() -> None:
            nonlocal turn
            turn += 1
            await stubs[turn % CONCURRENCY].ListRuns(request, timeout=30)

        return await run_load(
            call,
            concurrency=CONCURRENCY,
            duration_s=bench.size.load_s,
            max_requests=bench.size.max_requests,
            warmup_requests=2 * CONCURRENCY,
        )
    finally:
        for ch in channels:
            await ch.close(None)


CASE = Case("workers", "gRPC ListRuns with --workers 2 vs one process", run)
