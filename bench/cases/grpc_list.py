"""gRPC ListRuns (the filtered page of 50) against a bare grpc.aio server replying
with the same page's bytes, prebuilt: the ceiling of a Python gRPC reply.

Driven twice: by the bench's grpc.aio client (one channel, so one HTTP/2
connection for all callers) and by h2load (compiled, bench/h2_load.py), whose
callers each have a connection of their own and which takes far less CPU per
call, so the two servers rather than the client set the pace.
"""

from __future__ import annotations

import sys

import grpc

from bench import bare_server, h2_load, procs
from bench.context import Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import run_pb2, run_service_pb2, run_service_pb2_grpc

METHOD = "/runyard.v1.RunService/ListRuns"
H2_CONCURRENCY = (1, 16)


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    request = bench.list_request()
    with grpc.insecure_channel(target.grpc) as ch:
        page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(request, timeout=60)
    body = page.SerializeToString()
    # Until the server applies filters, say so rather than let the row pass as filtered.
    applied = all(r.state == run_pb2.Run.FAILED for r in page.runs)
    caveat = "" if applied else "; FILTER NOT APPLIED by the server (other states returned)"
    response = bench.workdir / "page.binpb"
    response.write_bytes(body)
    port = procs.free_port()
    bare = procs.Child(
        "bare grpc server",
        [
            sys.executable,
            "-m",
            bare_server.__name__,
            "--port",
            str(port),
            "--response",
            str(response),
            "--max-seconds",
            "1800",
        ],
        bench.workdir / f"bare-{port}.log",
    ).start()
    try:
        bare.wait_until(lambda: procs.grpc_serving(f"127.0.0.1:{port}"), timeout=30)
        for c in bench.size.grpc_concurrency:
            ours = await grpc_load(bench, target.grpc, request, c)
            ceiling = await grpc_load(bench, f"127.0.0.1:{port}", request, c)
            bench.add(
                Row(
                    f"gRPC ListRuns{target.label}, c={c}",
                    ours.qps,
                    ceiling.qps,
                    "req/s",
                    f"vs bare grpc.aio, same {len(page.runs)}-run page ({len(body):,} B) "
                    f"prebuilt; runyard {lat(ours)}, bare {lat(ceiling)}"
                    + caveat
                    + errs(ours, ceiling),
                    {
                        "runyard": ours.as_dict(),
                        "bare": ceiling.as_dict(),
                        "filter": bench.filter,
                        "filter_applied": applied,
                        "page_runs": len(page.runs),
                        "bytes": len(body),
                    },
                )
            )
        await h2_rows(bench, target, request, f"127.0.0.1:{port}", len(page.runs), caveat)
    finally:
        bare.stop()


async def h2_rows(
    bench: Bench,
    target: Target,
    request: run_service_pb2.ListRunsRequest,
    bare: str,
    runs: int,
    caveat: str,
) -> None:
    h2load = h2_load.ensure_h2load(bench.install)
    if not h2load:
        for c in H2_CONCURRENCY:
            bench.skip(
                f"gRPC ListRuns{target.label}, c={c}, h2load",
                "h2load missing (scripts/h2load.sh installs it)",
            )
        return
    body = request.SerializeToString()
    # The exact bytes h2load will send, answered by both; their replies' sizes
    # are what every h2load run's DATA bytes are checked against.
    sizes = {addr: len(h2_load.check_call(addr, METHOD, body)) for addr in (target.grpc, bare)}
    for c in H2_CONCURRENCY:
        loads = {}
        for addr in (target.grpc, bare):
            loads[addr] = await h2_load.h2_grpc_load(
                h2load,
                addr,
                METHOD,
                body,
                sizes[addr],
                concurrency=c,
                duration_s=bench.size.load_s,
                workdir=bench.workdir,
            )
        ours, ceiling = loads[target.grpc].result, loads[bare].result
        bench.add(
            Row(
                f"gRPC ListRuns{target.label}, c={c}, h2load",
                ours.qps,
                ceiling.qps,
                "req/s",
                f"vs bare grpc.aio, same {runs}-run page, h2load -c{c} -m1 (a connection "
                f"per caller); runyard {lat(ours)}, bare {lat(ceiling)}; h2load CPU "
                f"{loads[target.grpc].cpu_s:.1f}/{loads[bare].cpu_s:.1f} s"
                + caveat
                + errs(ours, ceiling),
                {
                    "runyard": ours.as_dict(),
                    "bare": ceiling.as_dict(),
                    "h2load_cpu_s": [round(r.cpu_s, 2) for r in loads.values()],
                    "filter": bench.filter,
                    "reply_bytes": sizes,
                },
            )
        )


async def grpc_load(
    bench: Bench, target: str, request: run_service_pb2.ListRunsRequest, concurrency: int
) -> LoadResult:
    async with grpc.aio.insecure_channel(target) as ch:
        stub = run_service_pb2_grpc.RunServiceStub(ch)

        async def call() -> None:
            await stub.ListRuns(request, timeout=30)

        return await run_load(
            call,
            concurrency=concurrency,
            duration_s=bench.size.load_s,
            max_requests=bench.size.max_requests,
        )


CASE = Case("grpc_list", "gRPC ListRuns vs bare grpcio", run, on=("sqlite", "postgresql"))
