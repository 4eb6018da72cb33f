"""WatchRunEvents and WatchRuns against a real server: backlog then live with no
gap or duplicate under concurrent writers, resume from every position, the
change feed's filter and resume, OUT_OF_RANGE after pruning, and a change made
on one replica reaching a watcher on another. Streams are bounded by a deadline
(a safety net, never an assertion on time)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runyard.store.sql import SqlStore
from runyard.store.streams import StreamReads
from runyard.v1 import run_pb2, run_service_pb2, runner_service_pb2
from tests.api.test_run_lifecycle import AUTO, WS, create_run, setup_automation
from tests.errors import details_of
from tests.plugins.servers import RunyardProcess, Stubs, admin_channel

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
DEADLINE = 60.0


def entry(text: str) -> RunEvent.JournalEntry:
    payload = struct_pb2.Struct()
    payload.update({"line": text})
    return RunEvent.JournalEntry(node_kind="Output", payload=payload)


def append(stubs: Stubs, run: str, texts: list[str], request_id: str = "") -> list[RunEvent]:
    reply = stubs.runner.AppendRunEvents(
        runner_service_pb2.AppendRunEventsRequest(
            parent=run, entries=[entry(t) for t in texts], request_id=request_id
        )
    )
    return list(reply.run_events)


def started_run(stubs: Stubs) -> Run:
    run = create_run(stubs)
    return stubs.runner.StartRun(runner_service_pb2.StartRunRequest(name=run.name))


def all_events(stubs: Stubs, run: str) -> list[RunEvent]:
    out: list[RunEvent] = []
    token = ""
    for _ in range(1000):
        page = stubs.runs.ListRunEvents(
            run_service_pb2.ListRunEventsRequest(parent=run, page_size=1000, page_token=token)
        )
        out.extend(page.run_events)
        token = page.next_page_token
        if not token:
            return out
    raise AssertionError("too many pages")


def watch_events(stubs: Stubs, run: str, after: int = 0, filter: str = "") -> list[RunEvent]:
    """Every event the stream sends until it ends by itself."""
    call = stubs.runs.WatchRunEvents(
        run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=after, filter=filter),
        timeout=DEADLINE,
    )
    return [m.event for m in call if m.WhichOneof("kind") == "event"]


def cancel(stubs: Stubs, run: str) -> Run:
    return stubs.runs.CancelRun(run_service_pb2.CancelRunRequest(name=run, reason="done"))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.integers(0, 3),
    writers=st.integers(1, 3),
    batches=st.lists(st.integers(1, 40), min_size=1, max_size=5),
)
def test_backlog_then_live_has_no_gap_or_duplicate(
    wstubs: Stubs, before: int, writers: int, batches: list[int]
) -> None:
    run = started_run(wstubs).name
    for i in range(before):
        append(wstubs, run, [f"pre {i}.{j}" for j in range(5)])
    seen: list[RunEvent] = []
    watcher = threading.Thread(target=lambda: seen.extend(watch_events(wstubs, run)))
    watcher.start()

    def write(w: int) -> None:
        for b, size in enumerate(batches):
            append(wstubs, run, [f"w{w} b{b} {k}" for k in range(size)])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    cancel(wstubs, run)
    watcher.join(DEADLINE)
    assert not watcher.is_alive()
    stored = all_events(wstubs, run)
    assert [e.sequence for e in seen] == list(range(1, len(stored) + 1))
    assert seen == stored
    assert stored[-1].state_change.to_state == Run.CANCELLED


def test_resume_from_every_position_and_filter(wstubs: Stubs) -> None:
    run = started_run(wstubs).name
    for i in range(4):
        append(wstubs, run, [f"line {i}.{j}" for j in range(3)])
    wstubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run, reason="look"))
    wstubs.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=run))
    cancel(wstubs, run)
    stored = all_events(wstubs, run)
    for position in range(len(stored) + 1):
        assert watch_events(wstubs, run, after=position) == stored[position:]
    changes = watch_events(wstubs, run, filter="type = STATE_CHANGE")
    assert changes == [e for e in stored if e.type == RunEvent.STATE_CHANGE]
    assert [e.state_change.to_state for e in changes] == [
        Run.QUEUED,
        Run.RUNNING,
        Run.PAUSED,
        Run.RUNNING,
        Run.CANCELLED,
    ]


def test_a_quiet_stream_heartbeats_and_follow_keeps_it_open(wstubs: Stubs) -> None:
    run = started_run(wstubs).name
    call = wstubs.runs.WatchRunEvents(
        run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=2), timeout=DEADLINE
    )
    kinds = [next(call).WhichOneof("kind") for _ in range(3)]
    assert kinds == ["heartbeat"] * 3
    append(wstubs, run, ["now"])
    for _ in range(100):
        msg = next(call)
        if msg.WhichOneof("kind") == "event":
            assert msg.event.sequence == 3 and msg.event.journal.payload["line"] == "now"
            break
    else:
        raise AssertionError("the appended event never arrived")
    call.cancel()
    # An ended run with follow set: events, then heartbeats until the caller leaves.
    cancel(wstubs, run)
    follow = wstubs.runs.WatchRunEvents(
        run_service_pb2.WatchRunEventsRequest(parent=run, follow=True), timeout=DEADLINE
    )
    got = [next(follow) for _ in range(6)]
    assert [m.event.sequence for m in got[:4]] == [1, 2, 3, 4]
    assert [m.WhichOneof("kind") for m in got[4:]] == ["heartbeat", "heartbeat"]
    follow.cancel()


def test_watch_errors(wstubs: Stubs) -> None:
    run = started_run(wstubs).name
    cases = [
        (run_service_pb2.WatchRunEventsRequest(parent="nope"), grpc.StatusCode.INVALID_ARGUMENT),
        (
            run_service_pb2.WatchRunEventsRequest(parent=run, filter="type = = 1"),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=-1),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            run_service_pb2.WatchRunEventsRequest(parent=f"{AUTO}/runs/missing"),
            grpc.StatusCode.NOT_FOUND,
        ),
    ]
    for request, code in cases:
        with pytest.raises(grpc.RpcError) as info:
            list(wstubs.runs.WatchRunEvents(request, timeout=DEADLINE))
        details = details_of(info.value)
        assert details.code == code and details.error_info is not None
    with pytest.raises(grpc.RpcError) as info:
        next(
            wstubs.runs.WatchRuns(
                run_service_pb2.WatchRunsRequest(parent=AUTO, resume_token="garbage"),
                timeout=DEADLINE,
            )
        )
    assert details_of(info.value).code == grpc.StatusCode.INVALID_ARGUMENT
    # A parent that does not exist is NOT_FOUND, as ListRuns answers it.
    missing = f"{WS}/automations/nosuch"
    with pytest.raises(grpc.RpcError) as listed:
        wstubs.runs.ListRuns(run_service_pb2.ListRunsRequest(parent=missing))
    with pytest.raises(grpc.RpcError) as info:
        next(
            wstubs.runs.WatchRuns(
                run_service_pb2.WatchRunsRequest(parent=missing), timeout=DEADLINE
            )
        )
    details, expected = details_of(info.value), details_of(listed.value)
    assert details.code == expected.code == grpc.StatusCode.NOT_FOUND
    assert details.error_info is not None and expected.error_info is not None
    assert details.error_info.reason == expected.error_info.reason
    assert info.value.details() == listed.value.details()


def test_appends_on_ended_runs_are_refused_and_retried_appends_apply_once(wstubs: Stubs) -> None:
    run = started_run(wstubs).name
    rid = str(uuid.uuid4())
    first = append(wstubs, run, ["a", "b"], request_id=rid)
    again = append(wstubs, run, ["a", "b"], request_id=rid)
    assert first == again and [e.sequence for e in first] == [3, 4]
    wstubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run, reason="hold"))
    # While PAUSED a process may still flush output.
    assert [e.sequence for e in append(wstubs, run, ["late"])] == [6]
    cancel(wstubs, run)
    with pytest.raises(grpc.RpcError) as info:
        append(wstubs, run, ["after the end"])
    details = details_of(info.value)
    assert details.code == grpc.StatusCode.FAILED_PRECONDITION
    assert details.error_info is not None and details.error_info.reason == "RUN_ENDED"
    from runyard.v1 import execution_pb2

    with pytest.raises(grpc.RpcError) as info:
        wstubs.runner.CreateExecution(
            runner_service_pb2.CreateExecutionRequest(
                parent=WS, execution=execution_pb2.Execution(run=run, resource="f")
            )
        )
    assert details_of(info.value).code == grpc.StatusCode.FAILED_PRECONDITION
    # The runner reports the exit code of the process it stopped; the run stays CANCELLED.
    done = wstubs.runner.CompleteRun(
        runner_service_pb2.CompleteRunRequest(name=run, succeeded=False, exit_code=-15)
    )
    assert done.state == Run.CANCELLED and done.end_reason == Run.STOPPED
    assert done.exit_code == -15


class Feed:
    """A WatchRuns stream read on a thread, until `stop`."""

    def __init__(self, stubs: Stubs, parent: str, filter: str = "", token: str = "") -> None:
        self.call = stubs.runs.WatchRuns(
            run_service_pb2.WatchRunsRequest(parent=parent, filter=filter, resume_token=token),
            timeout=DEADLINE,
        )
        first = next(self.call)  # the stream is live once its first message is here
        assert first.WhichOneof("kind") in ("heartbeat", "change")
        self.changes: list[run_service_pb2.RunChange] = (
            [first.change] if first.HasField("change") else []
        )
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self) -> None:
        try:
            for msg in self.call:
                if msg.HasField("change"):
                    self.changes.append(msg.change)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.CANCELLED  # type: ignore[attr-defined]

    def wait_for(self, count: int) -> list[run_service_pb2.RunChange]:
        for _ in range(int(DEADLINE / 0.01)):
            if len(self.changes) >= count:
                return list(self.changes)
            time.sleep(0.01)
        raise AssertionError(f"{len(self.changes)} changes, expected {count}")

    def stop(self) -> None:
        self.call.cancel()
        self.thread.join(DEADLINE)


def test_watch_runs_filter_and_resume(wstubs: Stubs) -> None:
    feed = Feed(wstubs, AUTO, filter="state = PAUSED OR state = CANCELLED")
    everything = Feed(wstubs, f"{WS}/automations/-")
    runs = [started_run(wstubs).name for _ in range(3)]
    wstubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=runs[0], reason="p"))
    first = feed.wait_for(1)
    assert first[0].run.name == runs[0] and first[0].run.state == Run.PAUSED
    feed.stop()
    # Changes made while nobody watches: the resumed feed replays the matching ones.
    wstubs.runs.ContinueRun(run_service_pb2.ContinueRunRequest(name=runs[0]))
    cancel(wstubs, runs[1])
    wstubs.runs.PauseRun(run_service_pb2.PauseRunRequest(name=runs[2], reason="q"))
    resumed = Feed(
        wstubs, AUTO, filter="state = PAUSED OR state = CANCELLED", token=first[0].resume_token
    )
    cancel(wstubs, runs[2])
    got = resumed.wait_for(3)
    assert [(c.run.name, c.run.state) for c in got] == [
        (runs[1], Run.CANCELLED),
        (runs[2], Run.PAUSED),
        (runs[2], Run.CANCELLED),
    ]
    # Unfiltered: every change of every run, in commit order, each once.
    all_changes = everything.wait_for(11)
    assert len(all_changes) == 11
    tokens = [c.resume_token for c in all_changes]
    assert len(set(tokens)) == len(tokens)
    # Resuming the unfiltered feed from each change gives exactly the rest.
    for i in (0, 5, 10):
        rest = Feed(wstubs, f"{WS}/automations/-", token=tokens[i])
        assert [c.resume_token for c in rest.wait_for(10 - i)] == tokens[i + 1 :]
        rest.stop()
    resumed.stop()
    everything.stop()


def test_expired_resume_token_is_out_of_range(watch_server: RunyardProcess, wstubs: Stubs) -> None:
    feed = Feed(wstubs, AUTO)
    started_run(wstubs)
    token = feed.wait_for(2)[0].resume_token
    feed.stop()
    store = SqlStore(watch_server.database_url, migrate_schema=False)
    try:
        assert StreamReads(store.db).prune_changes(time.time_ns() // 1000 + 1) >= 2
    finally:
        store.close()
    with pytest.raises(grpc.RpcError) as info:
        next(
            wstubs.runs.WatchRuns(
                run_service_pb2.WatchRunsRequest(parent=AUTO, resume_token=token),
                timeout=DEADLINE,
            )
        )
    details = details_of(info.value)
    assert details.code == grpc.StatusCode.OUT_OF_RANGE
    assert "older than the change feed keeps" in details.message
    assert details.error_info is not None
    assert details.error_info.reason == "RESUME_TOKEN_EXPIRED"


@pytest.mark.postgres
def test_a_change_on_one_replica_reaches_a_watcher_on_another(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    from tests.plugins.databases import fresh_postgres_database

    with fresh_postgres_database(postgres_admin_url) as url:
        a = RunyardProcess(url, tmp_path, http=False)
        b = RunyardProcess(url, tmp_path, http=False)
        a.start("--stream-heartbeat", "30")
        b.start("--stream-heartbeat", "30")
        try:
            with (
                grpc.insecure_channel(a.grpc_target) as ch_a,
                grpc.insecure_channel(b.grpc_target) as ch_b,
            ):
                sa, sb = Stubs(admin_channel(a, ch_a)), Stubs(admin_channel(b, ch_b))
                setup_automation(sa)
                run = started_run(sa).name
                call = sb.runs.WatchRunEvents(
                    run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=2),
                    timeout=DEADLINE,
                )
                assert next(call).WhichOneof("kind") == "heartbeat"  # live on B
                feed = Feed(sb, AUTO)
                append(sa, run, ["from A"])
                # A heartbeat interval of 30 s: only a notification can bring it sooner,
                # and the deadline (60 s) bounds the wait.
                msg = next(call)
                assert msg.event.sequence == 3
                sa.runs.PauseRun(run_service_pb2.PauseRunRequest(name=run, reason="x"))
                assert next(call).event.state_change.to_state == Run.PAUSED
                assert feed.wait_for(1)[0].run.state == Run.PAUSED
                feed.stop()
                call.cancel()
        finally:
            a.stop()
            b.stop()


def test_sqlite_commits_of_another_process_wake_watchers(tmp_path: Path) -> None:
    """The server's one poller notices a commit made by another process on the file."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    server = RunyardProcess(url, tmp_path, http=False)
    server.start("--stream-heartbeat", "30")
    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            stubs = Stubs(admin_channel(server, channel))
            setup_automation(stubs)
            run = started_run(stubs).name
            call = stubs.runs.WatchRunEvents(
                run_service_pb2.WatchRunEventsRequest(parent=run, after_sequence=2),
                timeout=DEADLINE,
            )
            assert next(call).WhichOneof("kind") == "heartbeat"
            other = SqlStore(url, migrate_schema=False)  # another writer, no hub of ours
            try:
                from runyard.api import names

                other.append_journal(names.run(run), [entry("elsewhere")], time.time_ns() // 1000)
            finally:
                other.close()
            # Not a heartbeat first: the poller woke the stream (30 s heartbeats).
            msg = next(call)
            assert msg.WhichOneof("kind") == "event" and msg.event.sequence == 3
            call.cancel()
    finally:
        server.stop()


def test_streams_cancelled_by_their_clients_leave_the_server_serving(
    watch_server: RunyardProcess, wstubs: Stubs
) -> None:
    run = started_run(wstubs).name
    for _ in range(5):
        calls = [
            wstubs.runs.WatchRunEvents(
                run_service_pb2.WatchRunEventsRequest(parent=run), timeout=DEADLINE
            )
            for _ in range(4)
        ]
        for call in calls:
            next(call)
            call.cancel()
        feed = Feed(wstubs, AUTO)
        feed.stop()
    assert wstubs.runs.GetRun(run_service_pb2.GetRunRequest(name=run)).name == run
    assert watch_server.proc is not None and watch_server.proc.poll() is None
