"""`runyard serve --demo`: the demo organization a new user meets first."""

from __future__ import annotations

from pathlib import Path

import grpc
from sqlalchemy import select

from runyard import demo
from runyard.store import tables as t
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, execution_pb2, run_pb2, run_service_pb2
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

WS = "organizations/demo/workspaces/main"
Run = run_pb2.Run
RunEvent = run_pb2.RunEvent


def _all_runs(stubs: Stubs) -> list[run_pb2.Run]:
    runs: list[run_pb2.Run] = []
    token = ""
    for _ in range(100):
        page = stubs.runs.ListRuns(
            run_service_pb2.ListRunsRequest(
                parent=f"{WS}/automations/-", page_size=1000, page_token=token
            )
        )
        runs.extend(page.runs)
        token = page.next_page_token
        if not token:
            break
    return runs


def test_demo_looks_like_a_real_month(tmp_path: Path) -> None:
    server = RunyardProcess(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, http=False)
    server.start("--demo")
    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            automations = stubs.automations.ListAutomations(
                automation_pb2.ListAutomationsRequest(parent=WS)
            ).automations
            assert len(automations) >= 5
            assert len({a.kind for a in automations}) == 4

            runs = _all_runs(stubs)
            assert len(runs) >= 2000
            states = {r.state for r in runs}
            assert {Run.SUCCEEDED, Run.FAILED, Run.RUNNING, Run.PAUSED} <= states
            failed = [r for r in runs if r.state == Run.FAILED]
            assert all(r.HasField("exit_code") and r.exit_code != 0 for r in failed)
            retries = [r for r in runs if r.retried_run]
            assert retries and all(r.attempt >= 2 for r in retries)
            paused = next(r for r in runs if r.state == Run.PAUSED)
            assert paused.pause_reason and paused.paused_by

            events = stubs.runs.ListRunEvents(
                run_service_pb2.ListRunEventsRequest(parent=failed[0].name)
            ).run_events
            assert [e.sequence for e in events] == list(range(1, len(events) + 1))
            assert any(e.type == run_pb2.RunEvent.JOURNAL for e in events)

            executions = stubs.executions.ListExecutions(
                execution_pb2.ListExecutionsRequest(parent=WS, page_size=10)
            ).executions
            assert executions
            done = next(e for e in executions if e.state == execution_pb2.Execution.SUCCEEDED)
            outputs = stubs.executions.GetExecutionOutputs(
                execution_pb2.GetExecutionOutputsRequest(name=f"{done.name}/outputs")
            )
            assert outputs.outputs

            # Restarting with --demo leaves the data as it is.
        server.stop()
        server.start("--demo")
        with grpc.insecure_channel(server.grpc_target) as channel:
            assert len(_all_runs(Stubs(admin_channel(server, channel)))) == len(runs)
    finally:
        server.stop()


def test_demo_timelines_follow_the_state_machine(database_url: str) -> None:
    """Per run: sequences 1..n without gaps, each state change leaving the state
    the previous one entered (the first from nothing), the last one entering the
    run's state; timestamps never go back."""
    store = SqlStore(database_url)
    try:
        assert demo.load_if_empty(store)
        with store.engine.connect() as conn:
            runs = {
                row.id: Run.FromString(row.body)
                for row in conn.execute(select(t.runs.c.id, t.runs.c.body))
            }
            events: dict[int, list[RunEvent]] = {run_id: [] for run_id in runs}
            query = select(t.run_events.c.run_id, t.run_events.c.body).order_by(
                t.run_events.c.run_id, t.run_events.c.sequence
            )
            for row in conn.execute(query):
                events[row.run_id].append(RunEvent.FromString(row.body))
    finally:
        store.close()
    assert len(runs) >= 2000
    for run_id, run in runs.items():
        timeline = events[run_id]
        assert [e.sequence for e in timeline] == list(range(1, len(timeline) + 1)), run.name
        assert all(e.name == f"{run.name}/events/{e.sequence}" for e in timeline)
        changes = [e for e in timeline if e.type == RunEvent.STATE_CHANGE]
        state = Run.STATE_UNSPECIFIED
        for change in changes:
            assert change.state_change.from_state == state, run.name
            state = change.state_change.to_state
        assert state == run.state, run.name
        times = [e.create_time.ToMicroseconds() for e in timeline]
        assert times == sorted(times), run.name
        assert run.update_time == changes[-1].create_time
