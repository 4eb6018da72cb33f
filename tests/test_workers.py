"""`runyard serve --workers 2`: two processes behind the same gRPC and HTTP ports,
supervised by the one started. Calls spread over both (each worker's access lines
carry its pid); a stream on one worker sees writes made through the other;
concurrent writers on both succeed; /metrics counts both; a SIGKILLed worker is
replaced; SIGTERM stops every process. Every wait is bounded; processes are found
and stopped by PID."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import grpc
import httpx
import pytest

from runyard.settings import Settings
from runyard.supervisor import Supervisor, WorkerSpec
from runyard.v1 import run_pb2, run_service_pb2, workspace_pb2
from tests.api.test_run_lifecycle import AUTO, WS, create_run, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel
from tests.test_watch import append, started_run, watch_events

WAIT_S = 60.0
PROBES = 40  # new connections tried to reach each worker (all on one: 2**-39)
_SERVING = re.compile(r"worker (\d+) \(pid (\d+)\) serving")


def serving_pids(server: RunyardProcess, count: int) -> dict[int, int]:
    """Slot -> pid of the newest serving worker per slot, once `count` slots serve."""
    for _ in range(int(WAIT_S / 0.1)):  # bounded: polls, then gives up
        pids = {int(s): int(p) for s, p in _SERVING.findall(server.log.read_text())}
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"workers not serving:\n{server.log.read_text()[-3000:]}")


def pid_of_request(server: RunyardProcess, request_id: str, kind: str = "rpc") -> int:
    """The pid in the `kind` ("rpc" or "http") access line of `request_id`."""
    # The gateway's own gRPC hop carries the same request id: match the kind too.
    pattern = re.compile(
        rf"runyard\.{kind} \[worker \d+ pid (\d+)\]: .*request_id={re.escape(request_id)}\b"
    )
    for _ in range(50):
        found = pattern.search(server.log.read_text())
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no access line for {request_id}")


@contextmanager
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[RunyardProcess, list[int]]]:
    server = RunyardProcess(database_url, tmp_path)
    server.start("--workers", "2", "--stream-heartbeat", "0.2")
    try:
        yield server, sorted(serving_pids(server, 2).values())
    finally:
        server.stop()


def new_connection(server: RunyardProcess) -> grpc.Channel:
    # A local subchannel pool: a connection of its own, so the kernel picks a worker anew.
    return grpc.insecure_channel(
        server.grpc_target, options=[("grpc.use_local_subchannel_pool", 1)]
    )


@contextmanager
def channel_per_worker(server: RunyardProcess, pids: list[int]) -> Iterator[dict[int, Stubs]]:
    """Admin stubs whose connection reaches each worker: pid -> stubs."""
    found: dict[int, Stubs] = {}
    opened: list[grpc.Channel] = []
    try:
        for _ in range(PROBES):
            channel = new_connection(server)
            opened.append(channel)
            stubs = Stubs(admin_channel(server, channel))
            probe = f"probe-{uuid.uuid4().hex}"
            stubs.workspaces.GetWorkspace(
                workspace_pb2.GetWorkspaceRequest(name=WS), metadata=(("x-request-id", probe),)
            )
            found.setdefault(pid_of_request(server, probe), stubs)
            if len(found) == len(pids):
                break
        assert sorted(found) == pids, (found, pids)
        yield found
    finally:
        for channel in opened:
            channel.close()


def test_two_workers_share_both_ports_and_streams(database_url: str, tmp_path: Path) -> None:
    with two_workers(database_url, tmp_path) as (server, pids):
        with grpc.insecure_channel(server.grpc_target) as channel:
            setup_automation(Stubs(admin_channel(server, channel)))
        # gRPC: new connections reach both workers (the access lines say which).
        with channel_per_worker(server, pids) as by_pid:
            a, b = (by_pid[p] for p in pids)
            # A stream on worker A sees what is written through worker B.
            run = started_run(a).name
            seen: list[run_pb2.RunEvent] = []
            watcher = threading.Thread(target=lambda: seen.extend(watch_events(a, run)))
            watcher.start()
            written = [e.sequence for e in append(b, run, ["from b 1", "from b 2"])]
            b.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run, reason="done"))
            watcher.join(WAIT_S)
            assert not watcher.is_alive()
            got = [e.sequence for e in seen]
            assert set(written) <= set(got) and got == list(range(1, len(got) + 1))
            assert seen[-1].state_change.to_state == run_pb2.Run.CANCELLED
            # Writers on both workers at once all succeed (SQLite: WAL, busy timeout).
            with ThreadPoolExecutor(8) as pool:
                made = list(pool.map(lambda i: create_run(a if i % 2 else b).name, range(40)))
            assert len(set(made)) == 40
        # HTTP: each request on a new connection; both workers answer.
        http_pids: set[int] = set()
        for i in range(PROBES):
            rid = f"http-{i}-{uuid.uuid4().hex[:8]}"
            reply = httpx.get(
                f"{server.http_base}/v1/{AUTO}",
                headers={**server.auth_headers("acme"), "x-request-id": rid},
                timeout=30,
            )
            assert reply.status_code == 200, reply.text
            http_pids.add(pid_of_request(server, rid, "http"))
            if len(http_pids) == 2:
                break
        assert sorted(http_pids) == pids
        # /metrics on the shared port counts the requests of both workers.
        exposition = httpx.get(f"{server.http_base}/metrics", timeout=30).text
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in exposition.splitlines()
            if line.startswith("runyard_http_requests_total{") and "automations/*}" in line
        )
        assert counted == i + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_killed_worker_is_replaced_and_sigterm_stops_all(database_url: str, tmp_path: Path) -> None:
    with two_workers(database_url, tmp_path) as (server, pids):
        with grpc.insecure_channel(server.grpc_target) as channel:
            setup_automation(Stubs(admin_channel(server, channel)))
        victim = pids[0]
        slot = {p: s for s, p in serving_pids(server, 2).items()}[victim]
        os.kill(victim, signal.SIGKILL)
        for _ in range(int(WAIT_S / 0.1)):  # bounded: polls, then gives up
            if serving_pids(server, 2)[slot] != victim:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker {slot} was not replaced:\n{server.log.read_text()[-3000:]}")
        log = server.log.read_text()
        assert f"worker {slot} (pid {victim}) exited with SIGKILL; restarting it" in log
        now = sorted(serving_pids(server, 2).values())
        assert victim not in now and len(now) == 2
        with channel_per_worker(server, now) as by_pid:
            for stubs in by_pid.values():
                assert create_run(stubs).state == run_pb2.Run.QUEUED
        supervisor = server.proc
        assert supervisor is not None
    # two_workers stopped it with SIGTERM: the supervisor exited 0, and so did every worker.
    assert supervisor.returncode == 0
    for pid in now:
        assert not _alive(pid)
        assert f"(pid {pid}) stopped (code 0)" in server.log.read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_workers_that_keep_dying_stop_the_supervisor(tmp_path: Path) -> None:
    # A store the workers cannot open: each one exits at start-up.
    broken = Settings(
        database_url=f"sqlite:///{tmp_path / 'missing' / 'runyard.db'}",
        grpc_address="127.0.0.1:0",
        http_address=None,
    )
    spec = WorkerSpec(replace(broken, worker_slot=0), 0, "WARNING", "text", os.getpid())
    supervisor = Supervisor([spec], restart_limit=0)
    assert supervisor.run() == 1
    assert not supervisor.workers


@pytest.mark.parametrize("value", ["0", "-1", "two", "257"])
def test_workers_must_be_a_small_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from runyard.cli import _parser

    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["serve", "--workers", value])
    assert exit_info.value.code == 2
    assert "--workers: expected a whole number from 1 to 256" in capsys.readouterr().err
