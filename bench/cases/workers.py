"""gRPC ListRuns (the filtered page of 50) at c=16 against `serve --workers 2` vs
the shared one-process server, on the same data: what a second core buys.

Both are driven alike: 16 callers, each on a connection of its own (one HTTP/2
connection stays with the worker that accepted it, so the kernel can only
spread connections). Two load generators, both on the same two cores as the
servers: h2load (compiled, one thread: bench/h2_load.py), whose row is the
criterion's, and the bench's own grpc.aio client, which takes about as much CPU
per call as a server and so shows less of the second worker. The h2load row
also says how the connections and the CPU were spread over the workers.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import grpc

from bench import h2_load, proc_stats, procs
from bench.context import Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc

CONCURRENCY = 16
WORKERS = 2
ROUNDS = 3  # one in --smoke, which only checks that the harness works
METHOD = "/runyard.v1.RunService/ListRuns"
ROW = f"gRPC ListRuns, --workers {WORKERS} vs 1, c={CONCURRENCY}"


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


def start_workers(bench: Bench, target: Target, port: int) -> procs.Child:
    return procs.Child(
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


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    port = procs.free_port()
    several = start_workers(bench, target, port)
    try:
        several.wait_until(
            lambda: listeners(port) >= WORKERS and procs.grpc_serving(f"127.0.0.1:{port}"),
            timeout=120,
        )
        sides = {"one": target.grpc_port, "two": port}
        request = bench.list_request()
        h2load = h2_load.ensure_h2load(bench.install)
        # Alternating rounds, the best of each: other work on a shared machine
        # drifts, and should not land on one side only.
        by_python: dict[str, list[LoadResult]] = {side: [] for side in sides}
        by_h2: dict[str, list[Observed]] = {side: [] for side in sides}
        for _ in range(1 if bench.args.smoke else ROUNDS):
            for side, side_port in sides.items():
                if h2load:
                    by_h2[side].append(await observed_h2(bench, h2load, side_port, request))
                by_python[side].append(await spread_load(bench, f"127.0.0.1:{side_port}", request))
        if h2load:
            bench.add(h2_row(bench, by_h2))
        else:
            bench.skip(f"{ROW}, h2load", "h2load missing (scripts/h2load.sh installs it)")
        one = max(by_python["one"], key=lambda r: r.qps)
        two = max(by_python["two"], key=lambda r: r.qps)
        bench.add(
            Row(
                ROW,
                two.qps,
                one.qps,
                "req/s",
                f"grpc.aio load generator in the bench process, one connection per caller, "
                f"on the same cores, best of {len(by_python['one'])} alternating rounds; "
                f"{WORKERS} workers {lat(two)}, 1 worker {lat(one)}" + errs(two, one),
                {"workers": two.as_dict(), "one": one.as_dict(), "filter": bench.filter},
            )
        )
    finally:
        several.stop()


class Observed:
    """One h2load run, and how the server's processes shared it."""

    def __init__(
        self,
        run: h2_load.H2Run,
        cpu: dict[int, float],
        conns: dict[int, int],
        busy: float,
        wall: float,
    ) -> None:
        self.run = run
        self.cpu = cpu  # server CPU seconds during the run, per process
        self.conns = conns  # established connections mid-run, per process
        # CPU seconds the rest of the machine used meanwhile (other work on shared cores).
        self.others = max(0.0, busy - sum(cpu.values()) - run.cpu_s)
        self.wall = wall  # warm-up run included, as in the CPU figures

    @property
    def qps(self) -> float:
        return self.run.result.qps

    def spread(self) -> str:
        conns = "/".join(str(n) for n in self.conns.values()) or "?"
        cpu = "/".join(f"{s:.1f}" for s in self.cpu.values()) or "?"
        return (
            f"connections {conns}, server CPU {cpu} s ({self.per_cpu_s:,.0f} calls per "
            f"server CPU s), h2load CPU {self.run.cpu_s:.1f} s, all else "
            f"{self.others:.1f} s, in {self.wall:.1f} s"
        )

    @property
    def per_cpu_s(self) -> float:
        """Calls per CPU second of the server's processes: flat from one worker to
        two when a second process costs nothing per call."""
        spent = sum(self.cpu.values())
        return self.run.result.requests / spent if spent else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.run.result.as_dict(),
            "server_cpu_s": list(self.cpu.values()),
            "connections": list(self.conns.values()),
            "h2load_cpu_s": round(self.run.cpu_s, 2),
            "others_cpu_s": round(self.others, 2),
            "calls_per_server_cpu_s": round(self.per_cpu_s),
            "wall_s": round(self.wall, 2),
        }


async def observed_h2(
    bench: Bench, h2load: str, port: int, request: run_service_pb2.ListRunsRequest
) -> Observed:
    target = f"127.0.0.1:{port}"
    body = request.SerializeToString()
    reply = h2_load.check_call(target, METHOD, body)  # the exact bytes h2load sends
    pids = proc_stats.listeners(port)
    cpu0 = {pid: proc_stats.cpu_seconds(pid) for pid in pids}
    busy0, wall0 = proc_stats.machine_busy_seconds(), time.perf_counter()
    load = asyncio.create_task(
        h2_load.h2_grpc_load(
            h2load,
            target,
            METHOD,
            body,
            len(reply),
            concurrency=CONCURRENCY,
            duration_s=bench.size.load_s,
            workdir=bench.workdir,
        )
    )
    # Sampled until the end: the latest of the fullest samples is the main run's
    # (the warm-up run before it opens connections of its own).
    conns: dict[int, int] = {}
    while not load.done():
        sample = proc_stats.connections(pids, port)
        if sum(sample.values()) >= sum(conns.values()):
            conns = sample
        await asyncio.wait([load], timeout=0.2)
    run = await load
    cpu = {pid: proc_stats.cpu_seconds(pid) - cpu0[pid] for pid in pids}
    busy = proc_stats.machine_busy_seconds() - busy0
    return Observed(run, cpu, conns, busy, time.perf_counter() - wall0)


def h2_row(bench: Bench, rounds: dict[str, list[Observed]]) -> Row:
    one = max(rounds["one"], key=lambda o: o.qps)
    two = max(rounds["two"], key=lambda o: o.qps)
    r1, r2 = one.run.result, two.run.result
    # Each round's two runs were back to back: their ratio shares the machine's mood.
    pairs = [
        round(b.qps / a.qps, 2) for a, b in zip(rounds["one"], rounds["two"], strict=True) if a.qps
    ]
    return Row(
        f"{ROW}, h2load",
        r2.qps,
        r1.qps,
        "req/s",
        f"h2load -c{CONCURRENCY} -m1 (compiled, one thread) on the same cores, best of "
        f"{len(pairs)} alternating rounds (each round's ratio {', '.join(map(str, pairs))}); "
        f"{WORKERS} workers {lat(r2)}, {two.spread()}; 1 worker {lat(r1)}, {one.spread()}"
        + errs(r2, r1),
        {
            "workers": two.as_dict(),
            "one": one.as_dict(),
            "rounds": {side: [round(o.qps) for o in obs] for side, obs in rounds.items()},
            "pair_ratios": pairs,
            "filter": bench.filter,
        },
    )


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
