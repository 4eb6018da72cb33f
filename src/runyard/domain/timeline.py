"""A run's whole life made through the state machine (runyard.domain.runs), for
data that is written in bulk instead of call by call: the demo organization,
benchmark data, imports. Each step is the transition the API would make, and
the timeline holds the events the store would have appended."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import struct_pb2

from runyard.domain import runs as machine
from runyard.v1 import run_pb2

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent


class Timeline:
    """One run from its creation on: `run` is its state now, `events` its timeline
    (sequence numbers and names are the store's to give)."""

    def __init__(self, run: Run, change: RunEvent.StateChange) -> None:
        self.run = run
        self.paused_from = 0
        self.events: list[RunEvent] = []
        self._state_event(change, run.create_time.ToMicroseconds())

    @classmethod
    def created(cls, template: Run, actor: machine.Actor) -> Timeline:
        """A new QUEUED run from the template's writable fields (CreateRun)."""
        return cls(*machine.new_run(template, actor))

    @classmethod
    def retried(cls, old: Run, actor: machine.Actor) -> Timeline:
        """A new QUEUED run retrying `old`, which must have failed or been cancelled."""
        return cls(*machine.retry_of(old, actor))

    def apply(
        self,
        action: machine.Action,
        actor: machine.Actor,
        *,
        reason: str = "",
        exit_code: int | None = None,
        end_reason: int = 0,
        outputs: Sequence[run_pb2.ResolvedOutput] = (),
    ) -> None:
        """Applies one action (FAILED_PRECONDITION when the state refuses it)."""
        change = machine.transition(
            self.run,
            self.paused_from,
            action,
            actor,
            reason=reason,
            exit_code=exit_code,
            end_reason=end_reason,
            outputs=outputs,
        )
        self.run = change.run
        self.paused_from = change.paused_from
        self._state_event(change.change, actor.now_us)

    def journal(
        self, at_us: int, node_kind: str, node_id: str, payload: dict[str, float | str | bool]
    ) -> None:
        """A journal entry a runner appends (AppendRunEvents); the run itself is unchanged."""
        event = RunEvent(type=RunEvent.JOURNAL)
        event.create_time.FromMicroseconds(at_us)
        event.journal.node_kind = node_kind
        event.journal.node_id = node_id
        body = struct_pb2.Struct()
        body.update(payload)
        event.journal.payload.CopyFrom(body)
        self.events.append(event)

    def _state_event(self, change: RunEvent.StateChange, at_us: int) -> None:
        event = RunEvent(type=RunEvent.STATE_CHANGE)
        event.create_time.FromMicroseconds(at_us)
        event.state_change.CopyFrom(change)
        self.events.append(event)
