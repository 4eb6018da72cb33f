"""Where a runyard server spends its time under load: py-spy samples every
thread of `runyard serve` while this process calls one RPC in a closed loop.

    .venv/bin/python -m bench.profile_server --db bench/data/runs-200000.db \
        --rpc ListRuns --concurrency 4 --seconds 15
    .venv/bin/python -m bench.profile_server --database-url postgresql://… --rpc GetRun
    .venv/bin/python -m bench.profile_server --db … --rpc Lifecycle --concurrency 16

Lifecycle is CreateRun, StartRun, one AppendRunEvents and CompleteRun per run
(bench/cases/writes.py); its rate is in runs/s.

Samples are taken only from the thread holding the GIL (py-spy --gil): in a
GIL-bound server that is where the one core of Python work goes. Prints the
functions with the most samples, inclusive (anywhere on the stack) and self
(on top), as percentages of those samples, and writes the
collapsed stacks beside it for flame graphs. py-spy comes from PyPI
(`pip install py-spy`); the server and the profiler are stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import grpc

from bench import procs
from bench.context import PAGE_SIZE, PARENT, realistic_filter
from bench.load import run_load
from runyard.v1 import (
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
)

WRITES = ("CreateRun", "Lifecycle")


async def drive(target: str, rpc: str, concurrency: int, seconds: float) -> float:
    from datetime import UTC, datetime

    async with grpc.aio.insecure_channel(target) as ch:
        stub = run_service_pb2_grpc.RunServiceStub(ch)
        if rpc in WRITES:
            return await drive_writes(ch, rpc, concurrency, seconds)
        page = run_service_pb2.ListRunsRequest(
            parent=PARENT, page_size=PAGE_SIZE, filter=realistic_filter(datetime.now(UTC))
        )
        first = await stub.ListRuns(page, timeout=60)
        get = run_service_pb2.GetRunRequest(name=first.runs[0].name)

        async def call() -> None:
            if rpc == "ListRuns":
                await stub.ListRuns(page, timeout=30)
            else:
                await stub.GetRun(get, timeout=30)

        result = await run_load(
            call, concurrency=concurrency, duration_s=seconds, max_requests=10**6
        )
        return result.qps


async def drive_writes(ch: grpc.aio.Channel, rpc: str, concurrency: int, seconds: float) -> float:
    """CreateRun alone, or lifecycles (CreateRun, StartRun, one journal event,
    CompleteRun, as bench/cases/writes.py) counted in runs."""
    runs = run_service_pb2_grpc.RunServiceStub(ch)
    runner = runner_service_pb2_grpc.RunnerServiceStub(ch)
    ids = itertools.count()
    prefix = uuid.uuid4().hex[:8]
    entry = run_pb2.RunEvent.JournalEntry(node_kind="FunctionCall", node_id="step-1")

    async def call() -> None:
        created = await runs.CreateRun(
            run_service_pb2.CreateRunRequest(
                parent=PARENT, run=run_pb2.Run(caller="profile"), run_id=f"p{prefix}{next(ids)}"
            ),
            timeout=30,
        )
        if rpc == "CreateRun":
            return
        name = created.name
        await runner.StartRun(runner_service_pb2.StartRunRequest(name=name), timeout=30)
        await runner.AppendRunEvents(
            runner_service_pb2.AppendRunEventsRequest(parent=name, entries=[entry]), timeout=30
        )
        await runner.CompleteRun(
            runner_service_pb2.CompleteRunRequest(name=name, succeeded=True), timeout=30
        )

    result = await run_load(call, concurrency=concurrency, duration_s=seconds, max_requests=10**6)
    return result.qps


def summarize(collapsed: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not frames or "(idle)" in stack:
            continue
        count = int(n)
        total += count
        own[frames[-1]] += count
        for f in set(frames[1:]):  # the first frame is the thread
            inclusive[f] += count
    out = [f"busy samples: {total}", "", "inclusive:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    out += ["", "self:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, help="a SQLite file made by bench.datagen")
    parser.add_argument("--database-url", help="instead of --db")
    parser.add_argument("--rpc", choices=("ListRuns", "GetRun", *WRITES), default="ListRuns")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/out/profile.txt"))
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{args.db.resolve()}"
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    workdir = Path(tempfile.mkdtemp(prefix="runyard-profile-"))
    server, grpc_port, _ = procs.runyard(url, workdir, http=False, label="profiled")
    collapsed = args.out.with_suffix(".collapsed")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        recorder = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--threads",
                "--gil",
                "--idle",
                "--rate",
                "250",
                "--duration",
                str(int(args.seconds)),
                "--output",
                str(collapsed),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            qps = asyncio.run(
                drive(f"127.0.0.1:{grpc_port}", args.rpc, args.concurrency, args.seconds)
            )
            recorder.wait(timeout=args.seconds + 60)
        finally:
            if recorder.poll() is None:
                recorder.kill()
                recorder.wait()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report = f"{args.rpc} c={args.concurrency}: {qps:.0f} req/s while sampled\n" + summarize(
        collapsed, args.top
    )
    args.out.write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
