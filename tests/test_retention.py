"""Retention end to end against a real server on SQLite and PostgreSQL: runs
past the workspace's run_retention move to the archive (exactly those, with
their events and executions), stay readable through the same API, refuse
changes, leave the aggregates as they were, and are purged by a second window;
the server's schedule starts the same operations by itself."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2
from google.type import date_pb2
from sqlalchemy import func, select

from runyard.domain import runs as machine
from runyard.domain.timeline import Timeline
from runyard.store import tables as t
from runyard.store.interface import ImportedRun
from runyard.store.refs import WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import (
    automation_pb2,
    execution_pb2,
    operation_pb2,
    operation_pb2_grpc,
    run_batch_service_pb2,
    run_batch_service_pb2_grpc,
    run_pb2,
    run_service_pb2,
    runner_service_pb2,
    workspace_pb2,
)
from tests.errors import details_of
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

Run = run_pb2.Run
Meta = operation_pb2.OperationMetadata
WS = "organizations/acme/workspaces/data"
AUTO = f"{WS}/automations/nightly"
DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
RETENTION_DAYS = 7
WAIT_SECONDS = 120.0
TABLES = (t.runs, t.run_events, t.executions, t.runs_archive, t.run_events_archive)


def _days(n: float) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromMicroseconds(int(n * DAY_US))
    return out


def setup_workspace(stubs: Stubs, **retention: duration_pb2.Duration) -> None:
    stubs.workspaces.CreateWorkspace(
        workspace_pb2.CreateWorkspaceRequest(
            parent="organizations/acme",
            workspace_id="data",
            workspace=workspace_pb2.Workspace(display_name="Data", **retention),  # type: ignore[arg-type]
        )
    )
    stubs.automations.CreateAutomation(
        automation_pb2.CreateAutomationRequest(
            parent=WS,
            automation_id="nightly",
            automation=automation_pb2.Automation(kind=automation_pb2.Automation.SCHEDULED_TASK),
        )
    )


def _run(ended_ago_us: int, outcome: machine.Action | None, now_us: int) -> Timeline:
    """A run that started an hour before it ended `ended_ago_us` ago (or is still running)."""
    end = now_us - ended_ago_us
    line = Timeline.created(Run(trigger=Run.SCHEDULE), machine.Actor("tests", end - 3_600_000_000))
    line.apply(machine.Action.START, machine.Actor("runner", end - 3_000_000_000))
    line.journal(end - 2_000_000_000, "FunctionCall", "step-1", {"ok": True})
    if outcome is not None:
        line.apply(outcome, machine.Actor("runner", end), reason="done", exit_code=0)
    return line


# (run id, ended how long ago, outcome): the old ended runs are archived; the
# runs just inside the window and the old runs still open are not.
OLD = RETENTION_DAYS * DAY_US
PLAN = [
    *((f"old-ok-{i}", OLD + (i + 1) * DAY_US, machine.Action.SUCCEED) for i in range(6)),
    *((f"old-failed-{i}", OLD + (i + 1) * DAY_US, machine.Action.FAIL) for i in range(4)),
    ("edge-out", OLD + MINUTE_US, machine.Action.SUCCEED),
    ("edge-in", OLD - MINUTE_US, machine.Action.FAIL),
    *((f"new-{i}", i * DAY_US, machine.Action.SUCCEED) for i in range(3)),
    ("old-running", OLD + 5 * DAY_US, None),
]
ARCHIVED = {rid for rid, _, outcome in PLAN if rid.startswith(("old-ok", "old-failed", "edge-out"))}


def seed(url: str) -> None:
    """The PLAN's runs, with one execution each, through the state machine."""
    now = time.time_ns() // 1000
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        ws = WorkspaceRef("acme", "data")
        lines = [(rid, _run(ago, outcome, now)) for rid, ago, outcome in PLAN]
        store.import_runs(ws, [ImportedRun("nightly", rid, ln.run, ln.events) for rid, ln in lines])
        executions = []
        for rid, line in lines:
            e = execution_pb2.Execution(run=f"{AUTO}/runs/{rid}", resource="functions/f")
            e.create_time.CopyFrom(line.run.create_time)
            out = execution_pb2.ExecutionOutputs()
            out.outputs["rows"].number_value = 7
            executions.append((f"x-{rid}", e, out))
        store.import_executions(ws, executions)
    finally:
        store.close()


def table_counts(url: str) -> dict[str, int]:
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        with store.engine.connect() as conn:
            return {
                tb.name: int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
                for tb in TABLES
            }
    finally:
        store.close()


class Batch:
    def __init__(self, channel: grpc.Channel) -> None:
        self.batch = run_batch_service_pb2_grpc.RunBatchServiceStub(channel)
        self.ops = operation_pb2_grpc.OperationServiceStub(channel)

    def archive(self, **kwargs: object) -> operation_pb2.Operation:
        request = run_batch_service_pb2.ArchiveRunsRequest(parent=WS, **kwargs)  # type: ignore[arg-type]
        return self.batch.ArchiveRuns(request)

    def purge(self, **kwargs: object) -> operation_pb2.Operation:
        request = run_batch_service_pb2.PurgeArchivedRunsRequest(parent=WS, **kwargs)  # type: ignore[arg-type]
        return self.batch.PurgeArchivedRuns(request)

    def wait(self, name: str) -> operation_pb2.Operation:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            op = self.ops.GetOperation(operation_pb2.GetOperationRequest(name=name))
            if op.done:
                return op
            time.sleep(0.1)
        raise AssertionError(f"{name} did not finish")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[RunyardProcess]:
    # No schedule: these tests start each operation themselves.
    proc = RunyardProcess(database_url, tmp_path)
    proc.start("--retention-interval", "0")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def stubs(server: RunyardProcess) -> Iterator[Stubs]:
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield Stubs(admin_channel(server, channel))


@pytest.fixture
def batch(stubs: Stubs) -> Batch:
    return Batch(stubs.channel)


def aggregates(stubs: Stubs) -> tuple[bytes, bytes]:
    end = datetime.date.today() + datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=60)
    daily = stubs.runs.QueryDailyRunAggregates(
        run_service_pb2.QueryDailyRunAggregatesRequest(
            parent=WS,
            start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
            end_date=date_pb2.Date(year=end.year, month=end.month, day=end.day),
            time_zone="UTC",
        )
    )
    autos = stubs.runs.QueryAutomationRunAggregates(
        run_service_pb2.QueryAutomationRunAggregatesRequest(parent=WS)
    )
    return (
        daily.SerializeToString(deterministic=True),
        autos.SerializeToString(deterministic=True),
    )


def list_all(stubs: Stubs, **kwargs: object) -> list[Run]:
    runs: list[Run] = []
    token = ""
    while True:
        page = stubs.runs.ListRuns(
            run_service_pb2.ListRunsRequest(
                parent=f"{WS}/automations/-",
                page_size=4,
                page_token=token,
                **kwargs,  # type: ignore[arg-type]
            )
        )
        runs += page.runs
        token = page.next_page_token
        if not token:
            return runs


def _reason(err: grpc.RpcError) -> str:
    info = details_of(err).error_info
    return info.reason if info is not None else ""


def _id(run: Run) -> str:
    return run.name.rsplit("/", 1)[1]


def test_archive_reads_refusals_and_purge(
    stubs: Stubs, batch: Batch, server: RunyardProcess
) -> None:
    setup_workspace(stubs, run_retention=_days(RETENTION_DAYS))
    url = server.database_url
    seed(url)
    before_runs = {_id(r): r for r in list_all(stubs)}
    before_events = {
        rid: stubs.runs.ListRunEvents(
            run_service_pb2.ListRunEventsRequest(parent=f"{AUTO}/runs/{rid}")
        ).run_events
        for rid in ARCHIVED
    }
    before_aggregates = aggregates(stubs)
    counts = table_counts(url)

    dry = batch.archive(validate_only=True)
    assert dry.done and not dry.name and dry.metadata.matched_count == len(ARCHIVED)
    assert table_counts(url) == counts  # validate_only changes nothing

    op = batch.archive()
    assert op.metadata.action == Meta.ARCHIVE and op.metadata.HasField("cutoff_time")
    done = batch.wait(op.name)
    assert done.response.done_count == len(ARCHIVED) == done.response.matched_count

    current = {_id(r) for r in list_all(stubs)}
    assert current == set(before_runs) - ARCHIVED
    everything = list_all(stubs, show_archived=True)
    assert {_id(r) for r in everything} == set(before_runs)
    for run in everything:
        rid = _id(run)
        assert run.archived == (rid in ARCHIVED) == run.HasField("archive_time")
        bare = Run()
        bare.CopyFrom(run)
        bare.ClearField("archived")
        bare.ClearField("archive_time")
        assert bare == before_runs[rid]
    for rid in ARCHIVED:
        name = f"{AUTO}/runs/{rid}"
        got = stubs.runs.GetRun(run_service_pb2.GetRunRequest(name=name))
        assert got.archived and got.archive_time.ToMicroseconds() > 0
        events = stubs.runs.ListRunEvents(run_service_pb2.ListRunEventsRequest(parent=name))
        assert list(events.run_events) == list(before_events[rid])
        # WatchRunEvents follows the run into the archive: its timeline, then the end.
        watched = stubs.runs.WatchRunEvents(
            run_service_pb2.WatchRunEventsRequest(parent=name), timeout=30
        )
        got_events = [r.event for r in watched if r.HasField("event")]
        assert got_events == list(before_events[rid])
        x = stubs.executions.GetExecution(
            execution_pb2.GetExecutionRequest(name=f"{WS}/executions/x-{rid}")
        )
        assert x.archived and x.run == name
        outputs = stubs.executions.GetExecutionOutputs(
            execution_pb2.GetExecutionOutputsRequest(name=f"{WS}/executions/x-{rid}/outputs")
        )
        assert outputs.outputs["rows"].number_value == 7
    listed = stubs.executions.ListExecutions(execution_pb2.ListExecutionsRequest(parent=WS))
    assert len(listed.executions) == len(PLAN) - len(ARCHIVED)
    listed = stubs.executions.ListExecutions(
        execution_pb2.ListExecutionsRequest(parent=WS, show_archived=True, page_size=1000)
    )
    assert len(listed.executions) == len(PLAN)
    assert aggregates(stubs) == before_aggregates
    # A rebuild of the rollups counts archived runs too.
    store = SqlStore(url, migrate_schema=False, pool_size=1)
    try:
        assert store.rebuild_rollups() == len(PLAN)
    finally:
        store.close()
    assert aggregates(stubs) == before_aggregates

    _refusals(stubs)
    _purge(stubs, batch, url, before_aggregates)


def _refusals(stubs: Stubs) -> None:
    name = f"{AUTO}/runs/old-failed-0"
    for call in (
        lambda: stubs.runs.RetryRun(run_service_pb2.RetryRunRequest(name=name)),
        lambda: stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=name)),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert _reason(err.value) == "RUN_ARCHIVED"
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.CreateRun(
            run_service_pb2.CreateRunRequest(parent=AUTO, run_id="old-ok-0", run=Run())
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # An archived execution keeps its name too.
    with pytest.raises(grpc.RpcError) as err:
        stubs.runner.CreateExecution(
            runner_service_pb2.CreateExecutionRequest(
                parent=WS, execution_id="x-old-failed-0", execution=execution_pb2.Execution()
            )
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # A page token is bound to show_archived.
    page = stubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=AUTO, page_size=2))
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.ListRuns(
            run_service_pb2.ListRunsRequest(
                parent=AUTO, page_size=2, page_token=page.next_page_token, show_archived=True
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _purge(stubs: Stubs, batch: Batch, url: str, before_aggregates: tuple[bytes, bytes]) -> None:
    # No archive_retention and no older_than: nothing to go by.
    with pytest.raises(grpc.RpcError) as err:
        batch.purge(validate_only=True)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    counts = table_counts(url)
    # Archived runs that ended 10 days ago (before the purge asked) or earlier.
    purged = {rid for rid, ago, _ in PLAN if rid in ARCHIVED and ago >= 10 * DAY_US}
    dry = batch.purge(older_than=_days(10), validate_only=True)
    assert dry.metadata.matched_count == len(purged) > 0
    assert table_counts(url) == counts
    done = batch.wait(batch.purge(older_than=_days(10)).name)
    assert done.response.done_count == len(purged)
    left = {_id(r) for r in list_all(stubs, show_archived=True)}
    assert not left & purged and ARCHIVED - purged <= left
    with pytest.raises(grpc.RpcError) as err:
        stubs.runs.GetRun(run_service_pb2.GetRunRequest(name=f"{AUTO}/runs/{min(purged)}"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    after = table_counts(url)
    assert after["runs_archive"] == counts["runs_archive"] - len(purged)
    assert after["run_events_archive"] < counts["run_events_archive"]
    assert aggregates(stubs) == before_aggregates


def test_archive_needs_a_window_and_answers_over_http(
    stubs: Stubs, batch: Batch, server: RunyardProcess
) -> None:
    setup_workspace(stubs)
    with pytest.raises(grpc.RpcError) as err:
        stubs.workspaces.CreateWorkspace(
            workspace_pb2.CreateWorkspaceRequest(
                parent="organizations/acme",
                workspace_id="negative",
                workspace=workspace_pb2.Workspace(run_retention=_days(-1)),
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        batch.archive()
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _reason(err.value) == "NO_RETENTION"
    with pytest.raises(grpc.RpcError) as err:
        batch.archive(older_than=duration_pb2.Duration(seconds=-1))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    headers = server.auth_headers("acme")
    with httpx.Client(base_url=server.http_base, headers=headers) as http:
        answer = http.post(
            f"/v1/{WS}:archiveRuns", json={"olderThan": "86400s", "validateOnly": True}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["done"] is True
        listed = http.get(f"/v1/{AUTO}/runs", params={"showArchived": "true"})
        assert listed.status_code == 200, listed.text


def test_the_schedule_archives_by_itself(database_url: str, tmp_path: Path) -> None:
    proc = RunyardProcess(database_url, tmp_path)
    proc.start("--retention-interval", "0.5")
    try:
        with grpc.insecure_channel(proc.grpc_target) as channel:
            stubs = Stubs(admin_channel(proc, channel))
            setup_workspace(
                stubs, run_retention=_days(RETENTION_DAYS), archive_retention=_days(3650)
            )
            seed(proc.database_url)
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                archived = [r for r in list_all(stubs, show_archived=True) if r.archived]
                if len(archived) == len(ARCHIVED):
                    break
                time.sleep(0.2)
            assert {_id(r) for r in archived} == ARCHIVED
            ops = (
                Batch(stubs.channel)
                .ops.ListOperations(
                    operation_pb2.ListOperationsRequest(parent=WS, filter="action = ARCHIVE")
                )
                .operations
            )
            assert ops and all(o.metadata.requester.endswith("retention-schedule") for o in ops)
    finally:
        proc.stop()


def test_archive_resumes_after_kill(database_url: str, tmp_path: Path) -> None:
    """kill -9 midway: another start resumes at the cursor; every run is moved
    exactly once, with all its events."""
    count = 4000
    proc = RunyardProcess(database_url, tmp_path, http=False)
    proc.start("--retention-interval", "0", "--operation-lease", "2")
    try:
        with grpc.insecure_channel(proc.grpc_target) as channel:
            stubs = Stubs(admin_channel(proc, channel))
            setup_workspace(stubs, run_retention=_days(RETENTION_DAYS))
            now = time.time_ns() // 1000
            store = SqlStore(proc.database_url, migrate_schema=False, pool_size=1)
            try:
                lines = [_run(OLD + DAY_US + i, machine.Action.SUCCEED, now) for i in range(count)]
                store.import_runs(
                    WorkspaceRef("acme", "data"),
                    [
                        ImportedRun("nightly", f"k{i:05d}", ln.run, ln.events)
                        for i, ln in enumerate(lines)
                    ],
                )
            finally:
                store.close()
            batch = Batch(stubs.channel)
            op = batch.archive()
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                seen = batch.ops.GetOperation(operation_pb2.GetOperationRequest(name=op.name))
                if seen.metadata.done_count > 0:
                    break
                time.sleep(0.05)
        proc.kill()
        midway = table_counts(proc.database_url)
        assert 0 < midway["runs_archive"] < count
        proc.start("--retention-interval", "0", "--operation-lease", "2")
        with grpc.insecure_channel(proc.grpc_target) as channel:
            done = Batch(admin_channel(proc, channel)).wait(op.name)
        assert done.response.done_count == count
        after = table_counts(proc.database_url)
        events_per_run = len(lines[0].events)
        assert after == {
            "runs": 0,
            "run_events": 0,
            "executions": 0,
            "runs_archive": count,
            "run_events_archive": count * events_per_run,
        }
    finally:
        proc.stop()


def test_a_batch_naming_an_archived_run_lists_it_as_archived(
    stubs: Stubs, batch: Batch, server: RunyardProcess
) -> None:
    setup_workspace(stubs, run_retention=_days(RETENTION_DAYS))
    seed(server.database_url)
    assert batch.wait(batch.archive().name).metadata.done_count == len(ARCHIVED)
    named = [f"{AUTO}/runs/{rid}" for rid in ("old-failed-0", "edge-in", "nosuch")]
    op = batch.batch.BatchRetryRuns(
        run_batch_service_pb2.BatchRetryRunsRequest(parent=AUTO, names=named)
    )
    meta = batch.wait(op.name).metadata
    assert (meta.matched_count, meta.done_count, meta.skipped_count, meta.failed_count) == (
        3, 1, 1, 1,
    )  # fmt: skip
    failures = batch.ops.ListOperationFailures(
        operation_pb2.ListOperationFailuresRequest(parent=op.name)
    ).failures
    found = {}
    for f in failures:
        info = error_details_pb2.ErrorInfo()
        assert f.status.details[0].Unpack(info)
        found[f.run] = (f.skipped, code_pb2.Code.Name(f.status.code), info.reason)
    assert found == {
        named[0]: (True, "FAILED_PRECONDITION", "RUN_ARCHIVED"),
        named[2]: (False, "NOT_FOUND", "RESOURCE_NOT_FOUND"),
    }
