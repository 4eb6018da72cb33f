"""Sixteen concurrent writers (SQLite: committing in shared groups), then kill -9:
every write acknowledged before the kill is there after the restart, in the
state it was acknowledged in, and in the change feed (PostgreSQL: rows a
writer committed but had not numbered are numbered at the restart); the feed
has no gap and the rollups count every run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from runyard.store import tables as t
from runyard.store.engine import make_engine
from runyard.v1 import run_pb2, run_service_pb2, runner_service_pb2
from tests.api.test_run_lifecycle import create_run, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel
from tests.store.rollup_checks import rolled_and_counted

WRITERS = 16
ACKED_BEFORE_KILL = 200


@pytest.mark.slow
def test_concurrent_acknowledged_writes_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    server = RunyardProcess(database_url, tmp_path, http=False)
    server.start()
    # run name -> the last state acknowledged for it
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer() -> None:
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            deadline = time.monotonic() + 30
            for _ in range(2000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                try:
                    run = create_run(stubs)
                    with lock:
                        acknowledged[run.name] = run.state
                    started = stubs.runner.StartRun(
                        runner_service_pb2.StartRunRequest(name=run.name)
                    )
                    with lock:
                        acknowledged[run.name] = started.state
                except grpc.RpcError:
                    return  # the server died under us: what was acknowledged is recorded

    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            setup_automation(Stubs(admin_channel(server, channel)))
        threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        stop.set()
        for th in threads:
            th.join(30)
        assert len(acknowledged) >= ACKED_BEFORE_KILL
        server.start()
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            for name, state in sorted(acknowledged.items()):
                found = stubs.runs.GetRun(run_service_pb2.GetRunRequest(name=name))
                if state == run_pb2.Run.RUNNING:
                    assert found.state == run_pb2.Run.RUNNING, name
                else:
                    assert found.state in (state, run_pb2.Run.RUNNING), name
        _assert_feed_and_rollups(database_url, acknowledged)
    finally:
        stop.set()
        server.stop()


def _assert_feed_and_rollups(database_url: str, acknowledged: dict[str, int]) -> None:
    """Read from the database the restarted server runs on."""
    engine = make_engine(database_url, pool_size=1)
    c = t.run_changes.c
    try:
        with engine.connect() as conn:
            seqs = list(conn.execute(select(c.seq).order_by(c.seq)).scalars())
            bodies = conn.execute(select(c.body)).scalars()
            in_feed = {(run.name, run.state) for run in map(run_pb2.Run.FromString, bodies)}
            rolled, counted = rolled_and_counted(conn)
    finally:
        engine.dispose()
    assert seqs == list(range(1, len(seqs) + 1))
    assert set(acknowledged.items()) <= in_feed
    assert rolled == counted
