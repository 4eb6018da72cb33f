"""ListRuns deep in the hot automation: page 10,000 reached by walking real
page tokens, and an AIP-158 skip as deep as the API allows, each against page 1."""

from __future__ import annotations

import time
from typing import Any

import grpc

from bench.context import MAX_SKIP, PAGE_SIZE, PARENT, Bench, Case, Target
from bench.report import Row
from runyard.v1 import run_service_pb2, run_service_pb2_grpc


async def run(bench: Bench, target: Target | None) -> None:
    assert target is not None
    size, label = bench.size, target.label
    what = f"ListRuns page {size.deep_page:,} vs page 1{label}"
    # No filter: the hot automation alone has enough runs for page 10,000.
    first = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=PAGE_SIZE)
    async with grpc.aio.insecure_channel(target.grpc) as ch:
        stub = run_service_pb2_grpc.RunServiceStub(ch)
        pages = 1
        started = time.perf_counter()
        deadline = started + size.walk_budget_s
        reply = await stub.ListRuns(first, timeout=60)
        page_one_names = [r.name for r in reply.runs]
        while pages < size.deep_page - 1 and time.perf_counter() < deadline:
            if not reply.next_page_token:
                break
            reply = await stub.ListRuns(
                run_service_pb2.ListRunsRequest(
                    parent=PARENT, page_size=PAGE_SIZE, page_token=reply.next_page_token
                ),
                timeout=60,
            )
            pages += 1
        walk_s = time.perf_counter() - started
        if pages < size.deep_page - 1 or not reply.next_page_token:
            reason = (
                "ListRuns returned no next_page_token"
                if not reply.next_page_token
                else f"walk budget {size.walk_budget_s:.0f}s spent"
            )
            bench.add(Row(what, None, None, "ms", f"stopped at page {pages}: {reason}"))
        else:
            deep = run_service_pb2.ListRunsRequest(
                parent=PARENT, page_size=PAGE_SIZE, page_token=reply.next_page_token
            )
            d, p, n = await alternate(bench, stub, deep, first)
            bench.add(
                Row(
                    what,
                    d,
                    p,
                    "ms",
                    f"keyset token after walking {pages + 1:,} pages in {walk_s:.0f}s;"
                    f" median of {n} alternating calls each",
                )
            )
        # AIP-158 skip: the jump a UI makes without walking, as deep as the API allows.
        rows = min((size.deep_page - 1) * PAGE_SIZE, MAX_SKIP)
        what = f"ListRuns skip={rows:,} vs page 1{label}"
        skip = run_service_pb2.ListRunsRequest(parent=PARENT, page_size=PAGE_SIZE, skip=rows)
        jumped = await stub.ListRuns(skip, timeout=120)
        if [r.name for r in jumped.runs] == page_one_names:
            bench.skip(what, "skip is ignored (same runs as page 1)")
            return
        d, p, n = await alternate(bench, stub, skip, first)
        bench.add(
            Row(
                what,
                d,
                p,
                "ms",
                f"AIP-158 skip (max {MAX_SKIP:,}); median of {n} alternating calls each",
            )
        )


async def alternate(
    bench: Bench,
    stub: Any,
    a: run_service_pb2.ListRunsRequest,
    b: run_service_pb2.ListRunsRequest,
) -> tuple[float, float, int]:
    """Median ms of a and of b, called alternately so noise hits both alike."""
    ta: list[float] = []
    tb: list[float] = []
    deadline = time.perf_counter() + bench.size.latency_budget_s
    while len(ta) < bench.size.latency_count and (time.perf_counter() < deadline or len(ta) < 3):
        for req, samples in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            await stub.ListRuns(req, timeout=120)
            samples.append((time.perf_counter() - t0) * 1e3)
    ta.sort()
    tb.sort()
    return ta[len(ta) // 2], tb[len(tb) // 2], len(ta)


CASE = Case("deep_paging", "deep paging", run, on=("sqlite", "postgresql"))
