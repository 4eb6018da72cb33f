"""The run state machine: every transition of a run goes through `transition`.

    QUEUED ──start──▶ RUNNING ──succeed/fail──▶ SUCCEEDED / FAILED
      │ ▲              │ ▲
    pause│continue   pause│continue            (continue returns to where it was)
      ▼ │              ▼ │
     PAUSED ◀──────────┘
    QUEUED / RUNNING / PAUSED ──cancel──▶ CANCELLED (end reason STOPPED)
    FAILED / CANCELLED ──retry──▶ a new QUEUED run, attempt + 1, linked to the old one

A transition returns the changed run and the StateChange that the store
appends to the run's timeline in the same transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from google.protobuf import timestamp_pb2
from google.rpc import status_pb2

from runyard.aip.errors import ApiError, failed_precondition
from runyard.v1 import run_pb2

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
State = Run.State

ENDED = frozenset({Run.SUCCEEDED, Run.FAILED, Run.CANCELLED})
RETRYABLE = frozenset({Run.FAILED, Run.CANCELLED})
# The end reasons a runner may give a failed run.
FAILURE_REASONS = frozenset({Run.FAILURE, Run.TIMEOUT, Run.CRASHED, Run.LOG_OVERFLOW})


class Action(enum.Enum):
    START = "start"
    PAUSE = "pause"
    CONTINUE = "continue"
    CANCEL = "cancel"
    SUCCEED = "succeed"
    FAIL = "fail"


# Which states each action may leave from.
_ALLOWED_FROM: dict[Action, frozenset[int]] = {
    Action.START: frozenset({Run.QUEUED}),
    Action.PAUSE: frozenset({Run.QUEUED, Run.RUNNING}),
    Action.CONTINUE: frozenset({Run.PAUSED}),
    Action.CANCEL: frozenset({Run.QUEUED, Run.RUNNING, Run.PAUSED}),
    Action.SUCCEED: frozenset({Run.RUNNING}),
    Action.FAIL: frozenset({Run.RUNNING}),
}


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and when it happens (microseconds since the epoch)."""

    name: str
    now_us: int


@dataclass
class Transition:
    run: Run
    paused_from: int
    change: RunEvent.StateChange


def allowed_from(action: Action) -> frozenset[int]:
    """The states `action` may leave from."""
    return _ALLOWED_FROM[action]


def state_name(state: int) -> str:
    return str(Run.State.Name(state))


def _ts(micros: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromMicroseconds(micros)
    return ts


def _illegal(action: Action, state: int) -> ApiError:
    return failed_precondition(
        "ILLEGAL_STATE_TRANSITION",
        f"cannot {action.value} a run that is {state_name(state)}",
        action=action.value,
        state=state_name(state),
        allowed_states=",".join(sorted(state_name(s) for s in _ALLOWED_FROM[action])),
    )


def transition(
    run: Run,
    paused_from: int,
    action: Action,
    actor: Actor,
    *,
    reason: str = "",
    exit_code: int | None = None,
    end_reason: int = 0,
    failure: status_pb2.Status | None = None,
    outputs: Sequence[run_pb2.ResolvedOutput] = (),
) -> Transition:
    """Applies `action` to a copy of `run`, or raises FAILED_PRECONDITION."""
    before = run.state
    if _settles_cancel(run, action, exit_code):
        return _settle(run, actor, cast(int, exit_code))
    if before not in _ALLOWED_FROM[action]:
        raise _illegal(action, before)
    new = Run()
    new.CopyFrom(run)
    now = _ts(actor.now_us)
    new.update_time.CopyFrom(now)
    new_paused_from = 0
    if action is Action.START:
        new.state = Run.RUNNING
        new.start_time.CopyFrom(now)
    elif action is Action.PAUSE:
        new.state = Run.PAUSED
        new.pause_reason = reason
        new.paused_by = actor.name
        new.pause_time.CopyFrom(now)
        new_paused_from = before
    elif action is Action.CONTINUE:
        new.state = Run.RUNNING if paused_from == Run.RUNNING else Run.QUEUED
        new.pause_reason = ""
        new.paused_by = ""
        new.ClearField("pause_time")
    else:
        _end(new, action, now, reason, exit_code, end_reason, failure)
        new.outputs.extend(outputs)
        new.pause_reason = ""
        new.paused_by = ""
        new.ClearField("pause_time")
    change = RunEvent.StateChange(
        from_state=before, to_state=new.state, reason=reason, actor=actor.name
    )
    return Transition(new, new_paused_from, change)


def _settles_cancel(run: Run, action: Action, exit_code: int | None) -> bool:
    # A runner that stopped the process of a cancelled run reports its exit code
    # with CompleteRun; the run stays CANCELLED.
    return (
        action in (Action.SUCCEED, Action.FAIL)
        and run.state == Run.CANCELLED
        and exit_code is not None
        and not run.HasField("exit_code")
    )


def _settle(run: Run, actor: Actor, exit_code: int) -> Transition:
    new = Run()
    new.CopyFrom(run)
    new.exit_code = exit_code
    new.update_time.CopyFrom(_ts(actor.now_us))
    change = RunEvent.StateChange(
        from_state=run.state,
        to_state=run.state,
        reason=f"the run's process exited with code {exit_code}",
        actor=actor.name,
    )
    return Transition(new, 0, change)


def check_open(run: Run, what: str) -> None:
    """FAILED_PRECONDITION unless `run` has not ended: an ended run's timeline is
    closed. QUEUED, RUNNING and PAUSED runs accept journal entries and executions
    (a paused process may still flush what it wrote before it stopped)."""
    if run.state in ENDED:
        raise failed_precondition(
            "RUN_ENDED",
            f"cannot {what} a run that is {state_name(run.state)}",
            state=state_name(run.state),
            allowed_states="PAUSED,QUEUED,RUNNING",
        )


def _end(
    run: Run,
    action: Action,
    now: timestamp_pb2.Timestamp,
    reason: str,
    exit_code: int | None,
    end_reason: int,
    failure: status_pb2.Status | None,
) -> None:
    if action is Action.CANCEL:
        run.state = Run.CANCELLED
        run.end_reason = Run.STOPPED
    elif action is Action.SUCCEED:
        run.state = Run.SUCCEEDED
        run.end_reason = Run.SUCCESS
    else:
        run.state = Run.FAILED
        run.end_reason = cast(
            "run_pb2.Run.EndReason", end_reason if end_reason in FAILURE_REASONS else Run.FAILURE
        )
        if failure is not None:
            run.failure.CopyFrom(failure)
        else:
            run.failure.code = 2  # UNKNOWN: the runner's own failure, not an API error
            run.failure.message = reason
    if exit_code is not None:
        run.exit_code = exit_code
    run.end_time.CopyFrom(now)
    if run.HasField("start_time"):
        run.duration.FromMicroseconds(
            max(0, now.ToMicroseconds() - run.start_time.ToMicroseconds())
        )


def new_run(template: Run, actor: Actor) -> tuple[Run, RunEvent.StateChange]:
    """A fresh QUEUED run from the caller's writable fields."""
    run = Run(
        automation_revision_id=template.automation_revision_id,
        config_version=template.config_version,
        trigger=template.trigger or Run.API,
        caller=template.caller,
        trace_id=template.trace_id,
        external_execution_id=template.external_execution_id,
        replica_index=template.replica_index,
        labels=dict(template.labels),
        state=Run.QUEUED,
        started_by=actor.name,
        attempt=1,
    )
    now = _ts(actor.now_us)
    run.create_time.CopyFrom(now)
    run.update_time.CopyFrom(now)
    change = RunEvent.StateChange(
        from_state=Run.STATE_UNSPECIFIED, to_state=Run.QUEUED, reason="created", actor=actor.name
    )
    return run, change


def retry_of(old: Run, actor: Actor) -> tuple[Run, RunEvent.StateChange]:
    """A new QUEUED run that retries `old`, which must have failed or been cancelled."""
    if old.state not in RETRYABLE:
        raise failed_precondition(
            "RUN_NOT_RETRYABLE",
            f"only FAILED or CANCELLED runs can be retried; this run is {state_name(old.state)}",
            state=state_name(old.state),
            allowed_states="CANCELLED,FAILED",
        )
    run, change = new_run(old, actor)
    run.trigger = Run.RETRY
    run.attempt = max(old.attempt, 1) + 1
    run.retried_run = old.name
    change.reason = f"retry of {old.name}"
    return run, change
