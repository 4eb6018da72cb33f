"""Time to encode a page of 100 fully populated runs as JSON.

Compares json_format.MessageToJson, MessageToDict + orjson and the gateway's
jsoncodec.encode_message on the same ListRunsResponse, plus decoding of one
run. Loops are bounded by count and by time. Usage:

    .venv/bin/python bench/json_bench.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2

from runyard.gateway.jsoncodec import decode_message, encode_message
from runyard.v1 import run_pb2, run_service_pb2

BASE = 1_767_225_600  # 2026-01-01T00:00:00Z


def make_run(i: int) -> run_pb2.Run:
    run = run_pb2.Run(
        name=f"organizations/acme/workspaces/ml/automations/train-model/runs/{i:08d}",
        uid=f"0c9b7a1e-4f2d-4d8e-9a57-{i:012x}",
        automation_revision_id=f"rev-{i % 7:04d}",
        config_version=1_000_000_000_000 + i,
        state=run_pb2.Run.FAILED,
        trigger=run_pb2.Run.SCHEDULE,
        started_by="schedules/nightly",
        caller="scheduler.runyard.dev",
        trace_id=f"{i:032x}",
        external_execution_id=f"exec-{i:010d}",
        exit_code=137,
        end_reason=run_pb2.Run.FAILURE,
        attempt=2,
        retried_run=f"organizations/acme/workspaces/ml/automations/train-model/runs/{i - 1:08d}",
        replica_index=i % 4,
        pause_reason="waiting for approval",
        paused_by="users/alice",
        etag=f'W/"{i * 7919:x}"',
    )
    start = BASE + i * 61
    run.create_time.FromNanoseconds(start * 10**9)
    run.start_time.FromNanoseconds((start + 2) * 10**9 + 125_000_000)
    run.end_time.FromNanoseconds((start + 3600) * 10**9 + 500_000)
    run.update_time.FromNanoseconds((start + 3600) * 10**9 + 987_654_321)
    run.pause_time.FromSeconds(start + 60)
    run.duration.FromNanoseconds(3598 * 10**9 + 375_500_000)
    for name in ("model", "metrics"):
        run.outputs.add(
            name=name,
            resource=f"organizations/acme/workspaces/ml/{name}s/{name}-{i}",
            version=str(i % 13),
        )
    run.labels.update({"team": "ml-platform", "env": "prod", "tier": str(i % 3)})
    run.failure.code = code_pb2.INTERNAL
    run.failure.message = "training step crashed: CUDA out of memory"
    run.failure.details.add().Pack(
        error_details_pb2.ErrorInfo(
            reason="OUT_OF_MEMORY", domain="runyard.dev", metadata={"node": f"gpu-{i % 8}"}
        )
    )
    return run


def bench(
    cases: dict[str, Callable[[], Any]], seconds: float, max_rounds: int = 2000
) -> dict[str, float]:
    """Median seconds per call of each case. Cases run round-robin in small batches, so
    the machine's noise hits them alike and the ratios stay meaningful; bounded by
    ``seconds`` per case and ``max_rounds``."""
    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    deadline = time.perf_counter() + seconds * len(cases)
    rounds = 0
    while rounds < max_rounds and (time.perf_counter() < deadline or rounds < 5):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            for _ in range(3):
                fn()
            samples[name].append((time.perf_counter() - t0) / 3)
        rounds += 1
    return {name: statistics.median(ts) for name, ts in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per case")
    args = parser.parse_args()

    page = run_service_pb2.ListRunsResponse(
        runs=[make_run(i) for i in range(100)], next_page_token="tok", total_size=1000
    )
    ours = json.loads(encode_message(page))
    assert ours == json.loads(json_format.MessageToJson(page)), "outputs differ"

    cases: dict[str, Callable[[], Any]] = {
        "MessageToJson": lambda: json_format.MessageToJson(page),
        "MessageToDict+orjson": lambda: orjson.dumps(json_format.MessageToDict(page)),
        "encode_message": lambda: encode_message(page),
        "encode_message(emit_unpopulated)": lambda: encode_message(page, emit_unpopulated=True),
    }
    size = len(encode_message(page))
    print(f"page of {len(page.runs)} runs, {size} bytes of JSON")
    times = bench(cases, args.seconds)
    base = times["MessageToJson"]
    for name, t in times.items():
        print(f"  {name:34s} {t * 1e3:8.3f} ms/page   {base / t:5.2f}x vs MessageToJson")

    one = json_format.MessageToJson(page.runs[0]).encode()

    def ours_decode() -> None:
        decode_message(one, run_pb2.Run())

    def theirs_decode() -> None:
        json_format.Parse(one, run_pb2.Run())

    dt = bench({"theirs": theirs_decode, "ours": ours_decode}, args.seconds)
    t_theirs, t_ours = dt["theirs"], dt["ours"]
    print(f"decode one run ({len(one)} bytes)")
    print(f"  {'json_format.Parse':34s} {t_theirs * 1e6:8.1f} us")
    print(f"  {'decode_message':34s} {t_ours * 1e6:8.1f} us   {t_theirs / t_ours:5.2f}x")


if __name__ == "__main__":
    main()
