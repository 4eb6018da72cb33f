"""Every state by every action of the run state machine, as a table written out
by hand (not derived from runyard.domain.runs): allowed actions give the new
state, refused ones FAILED_PRECONDITION with reason ILLEGAL_STATE_TRANSITION
(RUN_NOT_RETRYABLE for retry). The same table is then played through the store
on SQLite and PostgreSQL, where a change also appends its event."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from runyard.aip.errors import ApiError
from runyard.aip.listing import ListRequest, plan_list
from runyard.domain import runs as machine
from runyard.domain.timeline import Timeline
from runyard.store.interface import ImportedRun
from runyard.store.listing import RUN_EVENTS
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
A = machine.Action
Q, R, P, S, F, C = Run.QUEUED, Run.RUNNING, Run.PAUSED, Run.SUCCEEDED, Run.FAILED, Run.CANCELLED
RETRY = "retry"
STATES = (Q, R, P, S, F, C)
ACTIONS = (*A, RETRY)
WHO = machine.Actor("tester", 2_000_000_000_000_000)

# (state, action) -> the state after, or None: refused. A paused run is taken
# as paused from RUNNING here; CONTINUE back to QUEUED is its own test.
TABLE: dict[tuple[int, object], int | None] = {
    (Q, A.START): R, (Q, A.PAUSE): P, (Q, A.CONTINUE): None,
    (Q, A.CANCEL): C, (Q, A.SUCCEED): None, (Q, A.FAIL): None, (Q, RETRY): None,
    (R, A.START): None, (R, A.PAUSE): P, (R, A.CONTINUE): None,
    (R, A.CANCEL): C, (R, A.SUCCEED): S, (R, A.FAIL): F, (R, RETRY): None,
    (P, A.START): None, (P, A.PAUSE): None, (P, A.CONTINUE): R,
    (P, A.CANCEL): C, (P, A.SUCCEED): None, (P, A.FAIL): None, (P, RETRY): None,
    (S, A.START): None, (S, A.PAUSE): None, (S, A.CONTINUE): None,
    (S, A.CANCEL): None, (S, A.SUCCEED): None, (S, A.FAIL): None, (S, RETRY): None,
    (F, A.START): None, (F, A.PAUSE): None, (F, A.CONTINUE): None,
    (F, A.CANCEL): None, (F, A.SUCCEED): None, (F, A.FAIL): None, (F, RETRY): Q,
    (C, A.START): None, (C, A.PAUSE): None, (C, A.CONTINUE): None,
    (C, A.CANCEL): None, (C, A.SUCCEED): None, (C, A.FAIL): None, (C, RETRY): Q,
}  # fmt: skip
CASES = [(s, a) for s in STATES for a in ACTIONS]

# How to reach each state from a new run, through the machine itself.
PATHS: dict[int, tuple[machine.Action, ...]] = {
    Q: (),
    R: (A.START,),
    P: (A.START, A.PAUSE),
    S: (A.START, A.SUCCEED),
    F: (A.START, A.FAIL),
    C: (A.CANCEL,),
}


def timeline_in(state: int) -> Timeline:
    timeline = Timeline.created(Run(trigger=Run.MANUAL), machine.Actor("maker", WHO.now_us - 10))
    for i, action in enumerate(PATHS[state]):
        timeline.apply(action, machine.Actor("maker", WHO.now_us - 9 + i), reason="to set up")
    assert timeline.run.state == state
    return timeline


def _name(action: object) -> str:
    return action if isinstance(action, str) else action.value  # type: ignore[attr-defined]


def test_the_table_covers_every_state_and_action() -> None:
    assert set(TABLE) == set(CASES)
    assert len(CASES) == 6 * 7


@pytest.mark.parametrize(("state", "action"), CASES, ids=lambda v: str(v))
def test_transition_table(state: int, action: object) -> None:
    timeline = timeline_in(state)
    expected = TABLE[(state, action)]
    try:
        if action == RETRY:
            new, change = machine.retry_of(timeline.run, WHO)
        else:
            moved = machine.transition(timeline.run, timeline.paused_from, action, WHO)  # type: ignore[arg-type]
            new, change = moved.run, moved.change
    except ApiError as err:
        assert expected is None, f"{_name(action)} from {Run.State.Name(state)} was refused"
        assert err.code == grpc.StatusCode.FAILED_PRECONDITION
        reason = "RUN_NOT_RETRYABLE" if action == RETRY else "ILLEGAL_STATE_TRANSITION"
        assert err.reason == reason
        assert err.metadata["state"] == Run.State.Name(state)
        return
    assert expected is not None, f"{_name(action)} from {Run.State.Name(state)} was allowed"
    assert new.state == expected
    assert change.to_state == expected
    assert change.from_state == (Run.STATE_UNSPECIFIED if action == RETRY else state)
    assert change.actor == WHO.name
    assert new.update_time.ToMicroseconds() == WHO.now_us
    if expected in machine.ENDED:
        assert new.HasField("end_time") and new.end_reason != Run.END_REASON_UNSPECIFIED


def test_continue_returns_where_the_run_was_paused() -> None:
    queued = timeline_in(Q)
    queued.apply(A.PAUSE, WHO)
    assert queued.paused_from == Q
    queued.apply(A.CONTINUE, WHO)
    assert queued.run.state == Q and not queued.run.HasField("pause_time")


def test_a_failure_keeps_only_the_end_reasons_a_runner_may_give() -> None:
    for given, kept in ((Run.TIMEOUT, Run.TIMEOUT), (Run.SUCCESS, Run.FAILURE), (0, Run.FAILURE)):
        timeline = timeline_in(R)
        timeline.apply(A.FAIL, WHO, reason="boom", end_reason=given, exit_code=3)
        assert timeline.run.end_reason == kept and timeline.run.exit_code == 3
        assert timeline.run.failure.message == "boom"


WS = WorkspaceRef("acme", "machine")
AUTO = AutomationRef(WS, "table")


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    s = SqlStore(database_url)
    ws = workspace_pb2.Workspace(display_name="Machine")
    s.create_workspace(WS, ws, "")
    s.create_automation(AUTO, automation_pb2.Automation(display_name="Table"), "")
    try:
        yield s
    finally:
        s.close()


def test_transition_table_through_the_store(store: SqlStore) -> None:
    """Every case on a fresh copy of a run in that state: the store applies the
    machine's answer and appends its event, or leaves the run untouched."""
    for n, (state, action) in enumerate(CASES):
        # A fresh run in `state` per case, since an allowed action changes it.
        ref = RunRef(AUTO, f"case-{n}")
        tl = timeline_in(state)
        store.import_runs(
            WS, [ImportedRun(AUTO.automation, ref.run, tl.run, tl.events, tl.paused_from)]
        )
        before = store.get_run(ref)
        assert before.state == state
        expected = TABLE[(state, action)]
        try:
            if action == RETRY:
                after = store.retry_run(
                    ref, f"retry-{n}", "", "", lambda old: machine.retry_of(old, WHO)
                )
            else:
                after = store.change_run(
                    ref,
                    "",
                    "",
                    lambda run, paused_from, a=action: machine.transition(run, paused_from, a, WHO),  # type: ignore[misc]
                )
        except ApiError as err:
            assert expected is None and err.code == grpc.StatusCode.FAILED_PRECONDITION
            assert store.get_run(ref) == before
            continue
        assert expected is not None and after.state == expected
        changed = RunRef(AUTO, after.name.rsplit("/", 1)[1])
        assert store.get_run(changed) == after
        plan = plan_list(RUN_EVENTS, ListRequest(changed.name, page_size=100), store.page_tokens)
        events = store.list_run_events(changed, plan).items
        last = RunEvent.FromString(events[-1]).state_change
        assert last.to_state == expected
        assert last.from_state == (Run.STATE_UNSPECIFIED if action == RETRY else state)
