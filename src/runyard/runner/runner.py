"""The reference runner: runs a command as a run of an automation, over the
public gRPC API only (docs/streams.md, "What a runner sees").

Create (or take) the run, StartRun, start the command in its own process
group, send its output lines as journal entries, obey the run's control
stream — WatchRunEvents filtered to `type = STATE_CHANGE`, kept open for the
whole run: PAUSED stops the group (SIGSTOP), RUNNING after PAUSED continues it
(SIGCONT), CANCELLED terminates it (SIGTERM, SIGKILL after a grace period) —
and complete the run with the exit code.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from runyard.runner.output import Entry, OutputPump
from runyard.runner.process import Child
from runyard.v1 import run_pb2, run_service_pb2, run_service_pb2_grpc, runner_service_pb2_grpc
from runyard.v1 import runner_service_pb2 as rs

log = logging.getLogger("runyard.runner")
Run = run_pb2.Run
RETRIES = 5


@dataclass
class RunnerOptions:
    server: str = "127.0.0.1:50051"
    token: str = ""
    grace: float = 10.0
    caller: str = "runyard exec"
    labels: dict[str, str] = field(default_factory=dict)
    echo: Callable[[str, str], None] | None = None


@dataclass
class Outcome:
    run: Run
    exit_code: int
    seconds: float


def _retrying(call: Callable[[], object]) -> object:
    """A call with a request_id, retried while the server is unavailable."""
    for attempt in range(RETRIES):
        try:
            return call()
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == RETRIES - 1:  # type: ignore[attr-defined]
                raise
            time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


class Runner:
    """Runs commands as runs; one channel, usable from Python without the command line."""

    def __init__(self, options: RunnerOptions) -> None:
        self.options = options
        self.channel = grpc.insecure_channel(options.server)
        self.runs = run_service_pb2_grpc.RunServiceStub(self.channel)
        self.runner = runner_service_pb2_grpc.RunnerServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {options.token}"),) if options.token else ()

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_run(self, automation: str) -> Run:
        request = run_service_pb2.CreateRunRequest(
            parent=automation,
            run=Run(trigger=Run.API, caller=self.options.caller, labels=self.options.labels),
            request_id=str(uuid.uuid4()),
        )
        return _retrying(lambda: self.runs.CreateRun(request, metadata=self.metadata))  # type: ignore[return-value]

    def execute(self, argv: Sequence[str], *, automation: str = "", run_name: str = "") -> Outcome:
        """Runs `argv` as a new run of `automation` (or as the queued run `run_name`)."""
        run = (
            self.runs.GetRun(run_service_pb2.GetRunRequest(name=run_name), metadata=self.metadata)
            if run_name
            else self.create_run(automation)
        )
        start = rs.StartRunRequest(name=run.name, request_id=str(uuid.uuid4()))
        _retrying(lambda: self.runner.StartRun(start, metadata=self.metadata))
        began = time.monotonic()
        child = Child(argv, grace=self.options.grace)
        control = Control(self.runs, run.name, child, self.metadata)
        pump = OutputPump(
            lambda batch, rid: self._append(run.name, batch, rid), echo=self.options.echo
        )
        assert child.proc.stdout is not None and child.proc.stderr is not None
        pump.start({"stdout": child.proc.stdout, "stderr": child.proc.stderr})
        control.start()
        code = child.wait()
        pump.finish()
        seconds = time.monotonic() - began
        final = self._complete(run.name, code, cancelled=child.stopping)
        control.stop()
        log.info(
            "%s ended %s, exit code %d, %.1fs", run.name, Run.State.Name(final.state), code, seconds
        )
        return Outcome(final, code, seconds)

    def _append(self, run: str, batch: list[Entry], request_id: str) -> None:
        request = rs.AppendRunEventsRequest(parent=run, entries=batch, request_id=request_id)
        _retrying(lambda: self.runner.AppendRunEvents(request, metadata=self.metadata))

    def _complete(self, run: str, code: int, *, cancelled: bool) -> Run:
        request = rs.CompleteRunRequest(
            name=run, succeeded=code == 0 and not cancelled, exit_code=code,
            request_id=str(uuid.uuid4()),
        )  # fmt: skip
        try:
            return _retrying(lambda: self.runner.CompleteRun(request, metadata=self.metadata))  # type: ignore[return-value]
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.FAILED_PRECONDITION:  # type: ignore[attr-defined]
                raise
            # Ended meanwhile (cancelled after the exit, or the exit code already recorded).
            return self.runs.GetRun(run_service_pb2.GetRunRequest(name=run), metadata=self.metadata)


class Control:
    """The run's control stream on a thread: state changes become signals."""

    def __init__(
        self,
        runs: run_service_pb2_grpc.RunServiceStub,
        run: str,
        child: Child,
        metadata: tuple[tuple[str, str], ...],
    ) -> None:
        self.runs = runs
        self.run = run
        self.child = child
        self.metadata = metadata
        self.after = 0
        self.call: Any = None
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="control", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self.call is not None:
            self.call.cancel()
        self.thread.join(10)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            request = run_service_pb2.WatchRunEventsRequest(
                parent=self.run, after_sequence=self.after, filter="type = STATE_CHANGE"
            )
            try:
                self.call = self.runs.WatchRunEvents(request, metadata=self.metadata)
                for msg in self.call:
                    if msg.HasField("event"):
                        self.after = msg.event.sequence
                        self.apply(msg.event.state_change)
                return  # the run has ended and every change was seen
            except grpc.RpcError as e:
                if self._stopped.is_set():
                    return
                log.warning("control stream broke (%s); resuming after %d", e.code(), self.after)  # type: ignore[attr-defined]
                self._stopped.wait(0.5)

    def apply(self, change: run_pb2.RunEvent.StateChange) -> None:
        if change.to_state == Run.PAUSED:
            self.child.pause()
        elif change.to_state == Run.RUNNING and change.from_state == Run.PAUSED:
            self.child.resume()
        elif change.to_state == Run.CANCELLED:
            self.child.terminate()
