"""The cost of authentication: gRPC GetRun and ListRuns against the shared
server (started with --insecure-no-auth) and against a second server on the
same database with tokens on, side by side in one run. The ratio is
authenticated throughput over unauthenticated (1.0 = free; the goal is
>= 0.95)."""

from __future__ import annotations

import time
from typing import Any

import grpc

from bench import procs
from bench.context import Bench, Case, Target, errs, lat
from bench.load import LoadResult, run_load
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc, token_pb2


def mint(database_url: str, organization: str) -> str:
    from runyard.auth.issue import issue_token
    from runyard.store.sql import SqlStore

    store = SqlStore(database_url, migrate_schema=False, pool_size=1)
    try:
        token = issue_token(
            store.tokens,
            store.token_pepper,
            organization,
            token_pb2.Token(role=token_pb2.Token.VIEWER, display_name="bench"),
            creator="bench",
            now_us=time.time_ns() // 1000,
        )
    finally:
        store.close()
    return str(token.secret)


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    request = bench.list_request()
    with grpc.insecure_channel(target.grpc) as ch:
        page = run_service_pb2_grpc.RunServiceStub(ch).ListRuns(request, timeout=60)
    get = run_service_pb2.GetRunRequest(name=page.runs[0].name)
    organization = page.runs[0].name.split("/")[1]
    secret = mint(target.database_url, organization)
    metadata = (("authorization", f"Bearer {secret}"),)
    child, grpc_port, _ = procs.runyard(
        target.database_url,
        bench.workdir,
        http=False,
        label=f"runyard-auth-{target.store}",
        extra=("--rate-limit", "all=1000000/1000000"),
    )
    try:
        authed = f"127.0.0.1:{grpc_port}"
        for method, req in (("GetRun", get), ("ListRuns", request)):
            for c in (1, max(bench.size.grpc_concurrency)):
                plain = await load(target.grpc, method, req, c, bench, ())
                with_auth = await load(authed, method, req, c, bench, metadata)
                bench.add(
                    Row(
                        f"auth cost: gRPC {method}{target.label}, c={c}",
                        with_auth.qps,
                        plain.qps,
                        "req/s",
                        f"with a bearer token vs --insecure-no-auth, same data; "
                        f"auth {lat(with_auth)}, none {lat(plain)}" + errs(with_auth, plain),
                        {"auth": with_auth.as_dict(), "no_auth": plain.as_dict()},
                    )
                )
    finally:
        child.stop()


async def load(
    target: str, method: str, request: Any, concurrency: int, bench: Bench, metadata: Any
) -> LoadResult:
    async with grpc.aio.insecure_channel(target) as ch:
        stub = run_service_pb2_grpc.RunServiceStub(ch)
        rpc = getattr(stub, method)

        async def call() -> None:
            await rpc(request, timeout=30, metadata=metadata)

        return await run_load(
            call,
            concurrency=concurrency,
            duration_s=bench.size.load_s,
            max_requests=bench.size.max_requests,
        )


CASE = Case("auth", "authentication cost on GetRun and ListRuns", run, on=("sqlite", "postgresql"))
