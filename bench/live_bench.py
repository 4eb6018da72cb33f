"""Live streams: delivery latency from commit to watcher (1 and 500 watchers on
one server, and across two replicas on PostgreSQL), the time from CancelRun to
the runner's child receiving SIGTERM, and the memory of an idle watcher.

Latency of an event is its receipt by the watcher minus its create_time (taken
by the server just before the commit), both on this machine's clock; the
watchers run in this process on the same two cores, so the 500-watcher figure
includes their own decoding. Every loop is bounded in count and time.

    .venv/bin/python -m bench.live_bench [--smoke] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import grpc
from google.protobuf import struct_pb2

from bench import procs
from runyard.v1 import (
    automation_pb2,
    automation_pb2_grpc,
    run_pb2,
    run_service_pb2,
    run_service_pb2_grpc,
    runner_service_pb2,
    runner_service_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)

WS = "organizations/bench/workspaces/live"
AUTO = f"{WS}/automations/stream"
Run = run_pb2.Run


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * q))]


def line(label: str, samples: list[float]) -> str:
    if not samples:
        return f"{label:<52} no samples"
    return (
        f"{label:<52} p50 {statistics.median(samples):7.1f} ms   p99 {pct(samples, 0.99):7.1f} ms"
        f"   ({len(samples)} deliveries)"
    )


async def setup(channel: grpc.aio.Channel) -> None:
    ws = workspace_pb2_grpc.WorkspaceServiceStub(channel)
    au = automation_pb2_grpc.AutomationServiceStub(channel)
    try:
        await ws.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent="organizations/bench",
                workspace_id="live",
                workspace=workspace_pb2.Workspace(),
            )
        )
        await au.CreateAutomation(
            automation_pb2.CreateAutomationRequest(
                parent=WS, automation_id="stream", automation=automation_pb2.Automation()
            )
        )
    except grpc.aio.AioRpcError as e:
        if e.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise


async def new_run(channel: grpc.aio.Channel) -> str:
    runs = run_service_pb2_grpc.RunServiceStub(channel)
    runner = runner_service_pb2_grpc.RunnerServiceStub(channel)
    run = await runs.CreateRun(run_service_pb2.CreateRunRequest(parent=AUTO, run=Run()))
    await runner.StartRun(runner_service_pb2.StartRunRequest(name=run.name))
    return run.name


async def watch(
    channel: grpc.aio.Channel, run: str, after: int, out: list[float], expect: int
) -> None:
    stub = run_service_pb2_grpc.RunServiceStub(channel)
    call = stub.WatchRunEvents(
        run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=after), timeout=120
    )
    got = 0
    async for msg in call:
        if msg.HasField("event"):
            out.append(time.time() * 1000 - msg.event.create_time.ToMicroseconds() / 1000)
            got += 1
            if got >= expect:
                call.cancel()
                return


def entry(i: int) -> run_pb2.RunEvent.JournalEntry:
    payload = struct_pb2.Struct()
    payload.update({"i": i})
    return run_pb2.RunEvent.JournalEntry(node_kind="Bench", payload=payload)


async def delivery(write_target: str, read_target: str, watchers: int, events: int) -> list[float]:
    """Latency samples of `events` appends on `write_target` seen by `watchers` streams."""
    channels = [grpc.aio.insecure_channel(read_target) for _ in range(max(1, watchers // 100))]
    writer = grpc.aio.insecure_channel(write_target)
    try:
        await setup(writer)
        run = await new_run(writer)
        samples: list[float] = []
        tasks = [
            asyncio.create_task(watch(channels[i % len(channels)], run, 2, samples, events))
            for i in range(watchers)
        ]
        # Every stream is live once its first heartbeat came: wait for the subscriptions.
        await asyncio.sleep(1.0 + watchers / 200)
        runner = runner_service_pb2_grpc.RunnerServiceStub(writer)
        for i in range(events):
            await runner.AppendRunEvents(
                runner_service_pb2.AppendRunEventsRequest(parent=run, entries=[entry(i)])
            )
            await asyncio.sleep(0.02 if watchers == 1 else 0.2)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        return samples
    finally:
        await writer.close()
        for ch in channels:
            await ch.close()


def rss_kib(pid: int) -> int:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


async def idle_memory(target: str, pid: int, watchers: int) -> float:
    """KiB of server memory per idle watcher (RSS with them open minus before, over count)."""
    channels = [grpc.aio.insecure_channel(target) for _ in range(max(1, watchers // 100))]
    try:
        await setup(channels[0])
        run = await new_run(channels[0])
        await asyncio.sleep(0.5)
        before = rss_kib(pid)
        calls = []
        for i in range(watchers):
            stub = run_service_pb2_grpc.RunServiceStub(channels[i % len(channels)])
            call = stub.WatchRunEvents(
                run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=2), timeout=120
            )
            calls.append(call)
        for call in calls:
            await call.read()  # the first heartbeat: the stream is set up on the server
        await asyncio.sleep(0.5)
        after = rss_kib(pid)
        for call in calls:
            call.cancel()
        return (after - before) / watchers
    finally:
        for ch in channels:
            await ch.close()


CHILD = textwrap.dedent(
    """
    import signal, sys, time
    def on_term(signum, frame):
        with open(sys.argv[1], "w") as f:
            f.write(repr(time.time()))
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    print("ready", flush=True)
    for _ in range(60000):
        time.sleep(0.01)
    """
)


def _cancel_once(runs: run_service_pb2_grpc.RunServiceStub, target: str, argv: list[str]) -> float:
    from runyard.runner import Runner, RunnerOptions

    ready = threading.Event()
    opts = RunnerOptions(server=target, grace=5, echo=lambda stream, text: ready.set())

    def go() -> None:
        with Runner(opts) as runner:
            runner.execute(argv, automation=AUTO)

    t = threading.Thread(target=go)
    t.start()
    if not ready.wait(30):
        raise RuntimeError("the child never started")
    name = (
        runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO, filter="state = RUNNING"))
        .runs[0]
        .name
    )
    time.sleep(0.2)  # the control stream is open by now
    sent = time.time()
    runs.CancelRun(run_service_pb2.CancelRunRequest(name=name))
    t.join(30)
    return (float(Path(argv[-1]).read_text()) - sent) * 1000


def cancel_to_signal(target: str, workdir: Path, rounds: int) -> list[float]:
    """Milliseconds from CancelRun (sent) to the runner's child handling SIGTERM."""
    script = workdir / "child.py"
    script.write_text(CHILD)
    with grpc.insecure_channel(target) as ch:
        runs = run_service_pb2_grpc.RunServiceStub(ch)
        return [
            _cancel_once(runs, target, [sys.executable, str(script), str(workdir / f"term-{r}")])
            for r in range(rounds)
        ]


async def one_server(url: str, workdir: Path, smoke: bool, db: str) -> list[str]:
    out: list[str] = []
    server, port, _ = procs.runyard(url, workdir, http=False, label="live")
    target = f"127.0.0.1:{port}"
    events = 20 if smoke else 200
    try:
        out.append(line(f"delivery, 1 watcher [{db}]", await delivery(target, target, 1, events)))
        many = 50 if smoke else 500
        out.append(
            line(
                f"delivery, {many} watchers [{db}]",
                await delivery(target, target, many, events // 10),
            )
        )
        kib = await idle_memory(target, server.pid, many)
        label = f"server memory per idle watcher ({many}) [{db}]"
        out.append(f"{label:<52} {kib:7.1f} KiB")
        await setup_sync(target)
        samples = await asyncio.to_thread(cancel_to_signal, target, workdir, 3 if smoke else 10)
        out.append(line(f"CancelRun to SIGTERM in the runner's child [{db}]", samples))
    finally:
        server.stop()
    return out


async def setup_sync(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as ch:
        await setup(ch)


async def replicas(url: str, workdir: Path, smoke: bool) -> list[str]:
    a, port_a, _ = procs.runyard(url, workdir, http=False, label="live-a")
    try:
        b, port_b, _ = procs.runyard(url, workdir, http=False, label="live-b")
        try:
            samples = await delivery(
                f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}", 1, 20 if smoke else 200
            )
            return [line("delivery across replicas, 1 watcher [PostgreSQL]", samples)]
        finally:
            b.stop()
    finally:
        a.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--postgres-url", default=os.environ.get("RUNYARD_TEST_POSTGRES_URL", ""))
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="runyard-live-"))
    try:
        rows = asyncio.run(
            one_server(f"sqlite:///{workdir / 'live.db'}", workdir, args.smoke, "SQLite")
        )
        if args.postgres_url:
            rows += asyncio.run(one_server(args.postgres_url, workdir, args.smoke, "PostgreSQL"))
            rows += asyncio.run(replicas(args.postgres_url, workdir, args.smoke))
        else:
            rows.append("PostgreSQL rows skipped: no --postgres-url / RUNYARD_TEST_POSTGRES_URL")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
