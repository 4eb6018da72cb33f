"""Several runyard servers on one database: concurrent transitions stay legal and
the timeline stays gapless; acknowledged writes survive SIGKILL mid-stream."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from runyard.v1 import run_pb2, run_service_pb2
from tests.api.test_run_lifecycle import AUTO, create_run, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

Run = run_pb2.Run
ALLOWED_CODES = {
    grpc.StatusCode.OK,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
}


def _all_events(stubs: Stubs, name: str) -> list[run_pb2.RunEvent]:
    events: list[run_pb2.RunEvent] = []
    token = ""
    for _ in range(100):
        page = stubs.runs.ListRunEvents(
            run_service_pb2.ListRunEventsRequest(parent=name, page_size=100, page_token=token)
        )
        events.extend(page.run_events)
        token = page.next_page_token
        if not token:
            break
    return events


def test_two_replicas_fight_over_one_run(database_url: str, tmp_path: Path) -> None:
    a = RunyardProcess(database_url, tmp_path, http=False)
    b = RunyardProcess(database_url, tmp_path, http=False)
    a.start()
    b.start()
    try:
        with (
            grpc.insecure_channel(a.grpc_target) as ch_a,
            grpc.insecure_channel(b.grpc_target) as ch_b,
        ):
            sa, sb = Stubs(admin_channel(a, ch_a)), Stubs(admin_channel(b, ch_b))
            setup_automation(sa)
            run = create_run(sa)
            # A pause accepted by one replica is what the other one reads next.
            sa.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run.name, reason="seen?"))
            seen = sb.runs.GetRun(run_service_pb2.GetRunRequest(name=run.name))
            assert seen.state == Run.PAUSED and seen.pause_reason == "seen?"
            sb.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=run.name))
            rng = random.Random(5)

            def one(i: int) -> grpc.StatusCode:
                stubs = sa if i % 2 else sb
                action = rng.choice(("pause", "pause", "continue", "continue", "cancel"))
                try:
                    if action == "pause":
                        stubs.runs.PauseRun(
                            run_service_pb2.PauseRunRequest(name=run.name, reason=f"p{i}"),
                            timeout=30,
                        )
                    elif action == "continue":
                        stubs.runs.ContinueRun(
                            run_service_pb2.ContinueRunRequest(name=run.name), timeout=30
                        )
                    else:
                        stubs.runs.CancelRun(
                            run_service_pb2.CancelRunRequest(name=run.name), timeout=30
                        )
                    return grpc.StatusCode.OK
                except grpc.RpcError as err:
                    return err.code()  # type: ignore[no-any-return]

            with ThreadPoolExecutor(10) as pool:
                codes = list(pool.map(one, range(50)))
            assert set(codes) <= ALLOWED_CODES, codes

            final = sb.runs.GetRun(run_service_pb2.GetRunRequest(name=run.name))
            assert final.state in (Run.QUEUED, Run.PAUSED, Run.CANCELLED)
            events = _all_events(sa, run.name)
            assert [e.sequence for e in events] == list(range(1, len(events) + 1))
            # Replaying the timeline gives the final state, each step starting where
            # the previous one ended.
            state = Run.STATE_UNSPECIFIED
            for e in events:
                assert e.state_change.from_state == state
                state = e.state_change.to_state
            assert state == final.state
            assert len(events) == 3 + codes.count(grpc.StatusCode.OK)
    finally:
        a.stop()
        b.stop()


def test_sigkill_mid_stream_keeps_every_acknowledged_write(
    database_url: str, tmp_path: Path
) -> None:
    server = RunyardProcess(database_url, tmp_path, http=False)
    server.start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            deadline = time.monotonic() + 20
            while not stop.is_set() and time.monotonic() < deadline and len(acknowledged) < 5000:
                try:
                    acknowledged.append(create_run(stubs).name)
                except grpc.RpcError:
                    return  # the server died under us: whatever was acked is recorded

    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            setup_automation(Stubs(admin_channel(server, channel)))
        threads = [threading.Thread(target=writer) for _ in range(4)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 15
        while len(acknowledged) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        stop.set()
        for th in threads:
            th.join(30)
        assert len(acknowledged) >= 100
        server.start()
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            names: set[str] = set()
            token = ""
            for _ in range(1000):
                page = stubs.runs.ListRuns(
                    run_service_pb2.ListRunsRequest(parent=AUTO, page_size=1000, page_token=token)
                )
                names.update(r.name for r in page.runs)
                token = page.next_page_token
                if not token:
                    break
        missing = set(acknowledged) - names
        assert not missing, f"{len(missing)} acknowledged runs lost"
    finally:
        stop.set()
        server.stop()
