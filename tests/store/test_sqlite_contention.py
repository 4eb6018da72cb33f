"""Fifty concurrent writers on one SQLite file all succeed: writers of a process
queue for their turn instead of starving in SQLite's busy handler (which
answered UNAVAILABLE after its 10 s timeout, about 3 in 1,000 calls)."""

from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from runyard.v1 import run_pb2, run_service_pb2
from tests.api.test_run_lifecycle import AUTO, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs

WRITERS = 50
EACH = 6


def test_many_writers_wait_instead_of_failing(runyard_server: RunyardProcess, stubs: Stubs) -> None:
    if not runyard_server.database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock only")
    setup_automation(stubs)
    codes: collections.Counter[str] = collections.Counter()

    def write(_: int) -> None:
        for _ in range(EACH):
            try:
                run = stubs.runs.CreateRun(
                    run_service_pb2.CreateRunRequest(
                        parent=AUTO, run=run_pb2.Run(trigger=run_pb2.Run.MANUAL)
                    ),
                    timeout=120,
                )
                stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run.name), timeout=120)
                codes["OK"] += 1
            except grpc.RpcError as e:
                codes[e.code().name] += 1

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    assert codes == {"OK": WRITERS * EACH}
