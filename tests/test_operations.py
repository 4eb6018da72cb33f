"""Bulk actions as long-running operations, end to end against a real server on
SQLite and PostgreSQL: a batch over thousands of runs with single-run changes
going on beside it, validate_only, explicit names and the failure list,
cancelling an operation midway, and resuming after the server is killed."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select

from runyard.domain import runs as machine
from runyard.domain.timeline import Timeline
from runyard.store import tables as t
from runyard.store.interface import ImportedRun
from runyard.store.refs import WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import (
    operation_pb2,
    operation_pb2_grpc,
    run_batch_service_pb2,
    run_batch_service_pb2_grpc,
    run_pb2,
    run_service_pb2,
)
from tests.api.test_run_lifecycle import AUTO, WS, setup_automation
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
Operation = operation_pb2.Operation
Meta = operation_pb2.OperationMetadata
WAIT_SECONDS = 180.0


class Ops:
    def __init__(self, channel: grpc.Channel) -> None:
        self.ops = operation_pb2_grpc.OperationServiceStub(channel)
        self.batch = run_batch_service_pb2_grpc.RunBatchServiceStub(channel)

    def get(self, name: str) -> Operation:
        return self.ops.GetOperation(operation_pb2.GetOperationRequest(name=name))

    def wait(self, name: str, until: str = "done") -> Operation:
        """Polls until the operation is done (or has changed a run, for "started")."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            op = self.get(name)
            if op.done or (until == "started" and op.metadata.done_count > 0):
                return op
            time.sleep(0.1)
        raise AssertionError(f"{name} did not finish: {op}")


def seed(url: str, states: list[int]) -> list[str]:
    """Imports one run per entry of `states` (QUEUED, RUNNING or FAILED); their names."""
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        base = time.time_ns() // 1000 - 10_000_000
        batch = []
        for i, state in enumerate(states):
            actor = machine.Actor("tests", base + i)
            line = Timeline.created(Run(trigger=Run.SCHEDULE), actor)
            if state != Run.QUEUED:
                line.apply(machine.Action.START, actor)
            if state == Run.FAILED:
                line.apply(machine.Action.FAIL, actor, reason="boom")
            batch.append(ImportedRun("nightly", f"r{i:06d}", line.run, line.events))
        store.import_runs(WorkspaceRef("acme", "data"), batch)
    finally:
        store.close()
    return [f"{AUTO}/runs/r{i:06d}" for i in range(len(states))]


def timelines(url: str) -> dict[str, list[RunEvent]]:
    """Every run's state changes, read straight from the database."""
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        with store.engine.connect() as conn:
            names = dict(conn.execute(select(t.runs.c.id, t.runs.c.run)).all())
            rows = conn.execute(
                select(t.run_events.c.run_id, t.run_events.c.body)
                .where(t.run_events.c.type == RunEvent.STATE_CHANGE)
                .order_by(t.run_events.c.run_id, t.run_events.c.sequence)
            ).all()
    finally:
        store.close()
    out: dict[str, list[RunEvent]] = defaultdict(list)
    for run_id, body in rows:
        out[names[run_id]].append(RunEvent.FromString(body))
    return out


def assert_valid(events: list[RunEvent]) -> None:
    """Each state change leaves from the state the previous one reached."""
    state = Run.STATE_UNSPECIFIED
    for event in events:
        assert event.state_change.from_state == state, events
        state = event.state_change.to_state


def cancels(events: list[RunEvent]) -> list[RunEvent]:
    return [e for e in events if e.state_change.to_state == Run.CANCELLED]


@pytest.fixture
def ops(stubs: Stubs) -> Ops:
    setup_automation(stubs)
    return Ops(stubs.channel)


def test_batch_cancel_with_concurrent_changes(
    ops: Ops, stubs: Stubs, runyard_server: RunyardProcess
) -> None:
    url = runyard_server.database_url
    names = seed(url, [Run.QUEUED] * 1800 + [Run.RUNNING] * 200)
    op = ops.batch.BatchCancelRuns(
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, reason="clean up")
    )
    assert op.name.startswith(f"{WS}/operations/") and not op.done
    single_cancels: list[str] = []
    unexpected: list[grpc.StatusCode] = []

    def meddle() -> None:
        # Pauses and cancels of single runs while the batch walks them.
        rng = random.Random(7)
        for name in rng.sample(names, 150):
            try:
                if rng.random() < 0.5:
                    stubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=name, reason="x"))
                else:
                    stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=name))
                    single_cancels.append(name)
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    unexpected.append(err.code())

    thread = threading.Thread(target=meddle)
    thread.start()
    thread.join(WAIT_SECONDS)
    assert not unexpected
    done = ops.wait(op.name)
    assert done.HasField("response") and done.metadata.state == Meta.SUCCEEDED
    r = done.response
    assert r.matched_count == r.done_count + r.failed_count + r.skipped_count
    assert r.failed_count == 0
    lines = timelines(url)
    assert len(lines) == 2000
    by_batch = 0
    for run, events in lines.items():
        assert_valid(events)
        assert events[-1].state_change.to_state == Run.CANCELLED, run
        # Changed once: one cancellation, by the batch or by a single call.
        (cancel,) = cancels(events)
        by_batch += op.name in cancel.state_change.reason
    assert by_batch == r.done_count
    assert r.done_count + len(single_cancels) == 2000
    listed = ops.ops.ListOperations(operation_pb2.ListOperationsRequest(parent=WS))
    assert [o.name for o in listed.operations] == [op.name]


def test_validate_only_names_and_failures(
    ops: Ops, stubs: Stubs, runyard_server: RunyardProcess
) -> None:
    url = runyard_server.database_url
    names = seed(url, [Run.QUEUED] * 30 + [Run.FAILED] * 20)
    before = timelines(url)
    dry = ops.batch.BatchRetryRuns(
        run_batch_service_pb2.BatchRetryRunsRequest(
            parent=f"{WS}/automations/-", filter="state = FAILED", validate_only=True
        )
    )
    assert dry.done and not dry.name and dry.metadata.matched_count == 20
    dry = ops.batch.BatchCancelRuns(
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, validate_only=True)
    )
    assert dry.metadata.matched_count == 30
    dry = ops.batch.BatchCancelRuns(
        run_batch_service_pb2.BatchCancelRunsRequest(
            parent=AUTO, names=[*names[:3], *names[30:32]], validate_only=True
        )
    )
    assert dry.metadata.matched_count == 3
    assert timelines(url) == before
    assert not ops.ops.ListOperations(operation_pb2.ListOperationsRequest(parent=WS)).operations

    # Continue named runs: the queued ones are skipped, a missing one fails.
    named = [*names[:25], f"{AUTO}/runs/nosuch"]
    op = ops.batch.BatchContinueRuns(
        run_batch_service_pb2.BatchContinueRunsRequest(parent=AUTO, names=named)
    )
    done = ops.wait(op.name)
    assert (done.response.matched_count, done.response.skipped_count) == (26, 25)
    assert (done.response.done_count, done.response.failed_count) == (0, 1)
    failures: list[operation_pb2.OperationFailure] = []
    token = ""
    while True:
        page = ops.ops.ListOperationFailures(
            operation_pb2.ListOperationFailuresRequest(
                parent=op.name, page_size=10, page_token=token
            )
        )
        failures += page.failures
        token = page.next_page_token
        if not token:
            break
    assert [f.run for f in failures] == named
    assert all(
        f.skipped and f.status.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
        for f in failures[:-1]
    )
    assert (
        failures[-1].status.code == grpc.StatusCode.NOT_FOUND.value[0] and not failures[-1].skipped
    )
    assert timelines(url) == before

    # The retries happen once each, with the operation in their first event.
    op = ops.batch.BatchRetryRuns(
        run_batch_service_pb2.BatchRetryRunsRequest(parent=AUTO, filter="state = FAILED")
    )
    assert ops.wait(op.name).response.done_count == 20
    after = timelines(url)
    retries = [e for e in after.values() if op.name in e[0].state_change.reason]
    assert len(after) == 70 and len(retries) == 20


def test_bad_requests(ops: Ops) -> None:
    bad = [
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, filter="state = "),
        run_batch_service_pb2.BatchCancelRunsRequest(parent=f"{WS}/automations/nosuch"),
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, max_runs_per_second=-1),
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, names=["organizations/x"]),
    ]
    codes = []
    for request in bad:
        with pytest.raises(grpc.RpcError) as err:
            ops.batch.BatchCancelRuns(request)
        codes.append(err.value.code())
    assert codes == [
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.INVALID_ARGUMENT,
    ]
    with pytest.raises(grpc.RpcError) as err:
        ops.batch.BatchPauseRuns(run_batch_service_pb2.BatchPauseRunsRequest(parent=AUTO))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_cancel_operation_midway(ops: Ops, runyard_server: RunyardProcess) -> None:
    url = runyard_server.database_url
    seed(url, [Run.QUEUED] * 600)
    op = ops.batch.BatchCancelRuns(
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, max_runs_per_second=50)
    )
    ops.wait(op.name, "started")
    cancelled = ops.ops.CancelOperation(operation_pb2.CancelOperationRequest(name=op.name))
    assert cancelled.done and cancelled.error.code == grpc.StatusCode.CANCELLED.value[0]
    assert cancelled.metadata.state == Meta.CANCELLED
    changed = cancelled.metadata.done_count
    assert 0 < changed < 600
    time.sleep(1.5)  # a worker that still thought it held the operation would go on
    assert ops.get(op.name) == cancelled
    lines = timelines(url)
    assert sum(len(cancels(e)) for e in lines.values()) == changed


def test_rate_cap_holds_from_the_first_batch(ops: Ops, runyard_server: RunyardProcess) -> None:
    # At 1 run/s and a 30 s lease a batch is 10 runs: the first one too.
    seed(runyard_server.database_url, [Run.QUEUED] * 30)
    op = ops.batch.BatchCancelRuns(
        run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, max_runs_per_second=1)
    )
    started = ops.wait(op.name, "started")
    assert not started.done and started.metadata.done_count == 10
    ops.ops.CancelOperation(operation_pb2.CancelOperationRequest(name=op.name))


@pytest.fixture
def leased_server(database_url: str, tmp_path: Path) -> Iterator[RunyardProcess]:
    server = RunyardProcess(database_url, tmp_path, http=False)
    server.start("--operation-lease", "2")
    try:
        yield server
    finally:
        server.stop()


def test_resumes_after_kill(leased_server: RunyardProcess) -> None:
    server = leased_server
    url = server.database_url
    with grpc.insecure_channel(server.grpc_target) as channel:
        stubs = Stubs(admin_channel(server, channel))
        setup_automation(stubs)
        ops = Ops(stubs.channel)
        seed(url, [Run.QUEUED] * 800)
        op = ops.batch.BatchCancelRuns(
            run_batch_service_pb2.BatchCancelRunsRequest(parent=AUTO, max_runs_per_second=150)
        )
        ops.wait(op.name, "started")
    server.kill()
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        from runyard.store.refs import OperationRef

        midway = store.get_operation(OperationRef.parse(op.name))
    finally:
        store.close()
    assert not midway.done and 0 < midway.metadata.done_count < 800
    server.start("--operation-lease", "2")
    with grpc.insecure_channel(server.grpc_target) as channel:
        done = Ops(admin_channel(server, channel)).wait(op.name)
    assert done.response.done_count == done.response.matched_count == 800
    for events in timelines(url).values():
        assert_valid(events)
        assert len(cancels(events)) == 1


def test_over_http_and_request_id(ops: Ops, runyard_server: RunyardProcess) -> None:
    import httpx

    seed(runyard_server.database_url, [Run.QUEUED] * 5)
    headers = runyard_server.auth_headers("acme")
    with httpx.Client(base_url=runyard_server.http_base, headers=headers) as http:
        dry = http.post(f"/v1/{AUTO}/runs:batchPause", json={"reason": "x", "validateOnly": True})
        assert dry.status_code == 200 and dry.json()["metadata"]["matchedCount"] == "5"
        body = {"reason": "x", "requestId": "5f1b2c3d-0000-4000-8000-000000000001"}
        first = http.post(f"/v1/{AUTO}/runs:batchPause", json=body).json()
        again = http.post(f"/v1/{AUTO}/runs:batchPause", json=body).json()
        assert first["name"] == again["name"]
        ops.wait(first["name"])
        got = http.get(f"/v1/{first['name']}").json()
        assert got["done"] and got["response"]["doneCount"] == "5"
        listed = http.get(f"/v1/{WS}/operations", params={"filter": "done = true"}).json()
        assert [o["name"] for o in listed["operations"]] == [first["name"]]
        failures = http.get(f"/v1/{first['name']}/failures").json()
        assert failures.get("failures", []) == []
