"""What each bulk action does to one run, in terms of the run state machine
(runyard.domain.runs): the same transitions as the single-run methods, with
the operation's name in every event's reason."""

from __future__ import annotations

from runyard.domain import runs as machine
from runyard.store.interface import BulkAction
from runyard.v1 import operation_pb2, run_pb2

Meta = operation_pb2.OperationMetadata
Run = run_pb2.Run

TRANSITIONS: dict[int, machine.Action] = {
    Meta.CANCEL: machine.Action.CANCEL,
    Meta.PAUSE: machine.Action.PAUSE,
    Meta.CONTINUE: machine.Action.CONTINUE,
}


def states_of(action: int) -> frozenset[int]:
    """The run states `action` applies to."""
    if action == Meta.RETRY:
        return machine.RETRYABLE
    return machine.allowed_from(TRANSITIONS[action])


def event_reason(op: operation_pb2.Operation) -> str:
    reason = op.metadata.reason
    return f"{reason} (by {op.name})" if reason else f"by {op.name}"


def for_operation(op: operation_pb2.Operation, now_us: int) -> BulkAction:
    """The change `op` makes to each run, as its requester, at `now_us`."""
    meta = op.metadata
    who = machine.Actor(meta.requester, now_us)
    reason = event_reason(op)
    if meta.action == Meta.RETRY:

        def build(old: Run) -> tuple[Run, run_pb2.RunEvent.StateChange]:
            new, change = machine.retry_of(old, who)
            change.reason = f"{change.reason}, {reason}"
            return new, change

        return BulkAction(machine.RETRYABLE, build=build)
    action = TRANSITIONS[meta.action]

    def apply(run: Run, paused_from: int) -> machine.Transition:
        return machine.transition(run, paused_from, action, who, reason=reason)

    return BulkAction(machine.allowed_from(action), apply=apply)
