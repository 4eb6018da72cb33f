"""PostgreSQL goes away under load: callers get UNAVAILABLE with a retry hint,
never INTERNAL; when it is back, calls succeed without restarting runyard."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import grpc
import pytest

from runyard.v1 import run_service_pb2
from tests.api.test_run_lifecycle import AUTO, create_run, setup_automation
from tests.errors import details_of
from tests.plugins.databases import fresh_postgres_database
from tests.plugins.own_postgres import PostgresCluster
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel


def test_database_outage_is_unavailable_then_recovers(
    own_postgres: PostgresCluster, tmp_path: Path
) -> None:
    # A cluster of the test's own: the shared one serves the other workers.
    with fresh_postgres_database(own_postgres.url) as url:
        server = RunyardProcess(url, tmp_path, http=False)
        server.start()
        try:
            with grpc.insecure_channel(server.grpc_target) as channel:
                stubs = Stubs(admin_channel(server, channel))
                setup_automation(stubs)
                run = create_run(stubs)
                codes: Counter[str] = Counter()
                reasons: Counter[str] = Counter()
                stop = threading.Event()

                def load() -> None:
                    deadline = time.monotonic() + 60
                    while not stop.is_set() and time.monotonic() < deadline:
                        try:
                            stubs.runs.GetRun(
                                run_service_pb2.GetRunRequest(name=run.name), timeout=20
                            )
                            create_run(stubs)
                            codes["OK"] += 1
                        except grpc.RpcError as err:
                            d = details_of(err)
                            codes[d.code.name] += 1
                            if d.error_info is not None:
                                reasons[d.error_info.reason] += 1
                        time.sleep(0.01)

                threads = [threading.Thread(target=load) for _ in range(3)]
                for th in threads:
                    th.start()
                time.sleep(1)
                with own_postgres.stopped("fast"):
                    time.sleep(3)
                stop.set()
                for th in threads:
                    th.join(60)
                assert codes["UNAVAILABLE"] > 0, codes
                assert set(codes) <= {"OK", "UNAVAILABLE"}, codes
                assert set(reasons) <= {"SERVICE_UNAVAILABLE"}, reasons

                # Back up: the same server answers again (at most 60 tries, 0.5 s apart).
                for _ in range(60):
                    try:
                        create_run(stubs)
                        break
                    except grpc.RpcError as err:
                        assert err.code() == grpc.StatusCode.UNAVAILABLE
                        time.sleep(0.5)
                else:
                    pytest.fail("runyard did not recover after PostgreSQL came back")
                listed = stubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO))
                assert listed.runs
        finally:
            server.stop()
