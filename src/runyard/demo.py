"""The demo organization: a month of a platform team's automations.

`organizations/demo/workspaces/main` gets six automations of every kind, runs
at their real cadence over the last 30 days (a few thousand), each with its
state-change timeline and journal entries, executions with outputs, failures
with exit codes, retries of failed runs, and a few runs still queued, running
or paused. Generated from a fixed seed, relative to now.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

from runyard.aip.names import generated_id
from runyard.domain.runs import Action, Actor
from runyard.domain.timeline import Timeline
from runyard.store.interface import ImportedRun, Store
from runyard.store.refs import AutomationRef, RunRef, WorkspaceRef
from runyard.v1 import automation_pb2, execution_pb2, run_pb2, workspace_pb2

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
Automation = automation_pb2.Automation

log = logging.getLogger(__name__)

WORKSPACE = WorkspaceRef("demo", "main")
DAY_US = 86_400_000_000
MIN_US = 60_000_000


@dataclass(frozen=True)
class Profile:
    id: str
    display_name: str
    kind: automation_pb2.Automation.Kind
    runs_per_day: float
    mean_minutes: float
    failure_rate: float
    trigger: run_pb2.Run.Trigger
    nodes: tuple[str, ...]
    schedule: str = ""


PROFILES = (
    Profile(
        "nightly-etl",
        "Nightly warehouse ETL",
        Automation.SCHEDULED_TASK,
        4,
        38,
        0.08,
        Run.CRON,
        ("FunctionCall", "Assignment", "FunctionCall"),
        "0 */6 * * *",
    ),
    Profile(
        "billing-sync",
        "Billing sync workflow",
        Automation.WORKFLOW,
        24,
        4,
        0.05,
        Run.SCHEDULE,
        ("FunctionCall", "Assignment", "Condition", "FunctionCall"),
        "0 * * * *",
    ),
    Profile(
        "image-resize",
        "Image resize function",
        Automation.FUNCTION,
        60,
        0.4,
        0.03,
        Run.EVENT,
        ("FunctionCall",),
    ),
    Profile(
        "churn-model",
        "Churn model build",
        Automation.MODEL_BUILD,
        2,
        55,
        0.15,
        Run.MANUAL,
        ("FunctionCall", "Assignment"),
    ),
    Profile(
        "report-mailer",
        "Weekly report mailer",
        Automation.SCHEDULED_TASK,
        1,
        6,
        0.1,
        Run.CRON,
        ("FunctionCall", "Assignment"),
        "0 7 * * *",
    ),
    Profile(
        "webhook-ingest",
        "Partner webhook ingest",
        Automation.FUNCTION,
        30,
        0.2,
        0.06,
        Run.API,
        ("Assignment", "FunctionCall"),
    ),
)

FAILURES = (
    (1, "disk full while writing /scratch/part-0007.parquet"),
    (137, "killed: out of memory (container limit 2 GiB)"),
    (2, "upstream returned 503 Service Unavailable"),
    (1, "schema mismatch: column 'amount' expected DECIMAL, got TEXT"),
    (124, "timed out after 3600s"),
)
PEOPLE = ("alice@example.com", "bob@example.com", "ops-bot", "scheduler")


class _Builder:
    def __init__(self, now_us: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.now = now_us
        self.runs: list[ImportedRun] = []
        self.executions: list[
            tuple[str, execution_pb2.Execution, execution_pb2.ExecutionOutputs]
        ] = []
        self.counter = 0

    def run_id(self, at_us: int) -> str:
        self.counter += 1
        return generated_id("r", at_ms=at_us // 1000, tail=f"{self.counter:06x}")

    def build(self, days: int = 30) -> None:
        for profile in PROFILES:
            total = int(profile.runs_per_day * days)
            for _ in range(total):
                created = self.now - int(self.rng.random() * days * DAY_US)
                self.add_run(profile, created)
            # A few runs of each still going right now: running, paused or queued.
            for _ in range(3):
                created = self.now - self.rng.randint(1, 20) * MIN_US
                self.add_run(profile, created, still_going=True)
        self.runs.sort(key=lambda r: r.run.create_time.ToMicroseconds())

    def add_run(
        self,
        p: Profile,
        created: int,
        *,
        retried: Run | None = None,
        still_going: bool = False,
    ) -> None:
        """One run made through the state machine, from creation to where it is now."""
        rng = self.rng
        template = Run(
            trigger=p.trigger,
            caller=rng.choice(("scheduler", "api-gateway", "console", "ci")),
            trace_id=f"{rng.getrandbits(128):032x}",
            external_execution_id=f"exec-{rng.getrandbits(40):010x}",
            automation_revision_id=f"rev-{rng.randint(1, 9)}",
            config_version=rng.choice((1, 1, 2, 3)) if p.kind == Automation.MODEL_BUILD else 1,
            replica_index=rng.randint(0, 3) if p.kind == Automation.SCHEDULED_TASK else 0,
            labels={"team": rng.choice(("data", "billing", "platform")), "env": "prod"},
        )
        creator = Actor(rng.choice(PEOPLE), created)
        if retried is None:
            timeline = Timeline.created(template, creator)
        else:
            timeline = Timeline.retried(retried, creator)
        run_id = self.run_id(created)
        ref = RunRef(AutomationRef(WORKSPACE, p.id), run_id)
        start = created + rng.randint(1, 30) * 1_000_000
        duration = max(1_000_000, int(rng.expovariate(1 / (p.mean_minutes * MIN_US))))
        if still_going:
            duration += 2 * (self.now - created)
        end = start + duration
        if start < self.now:
            self._work(p, timeline, start, duration)
        run = timeline.run
        run.name = ref.name  # what a retry links to; the store sets the same on import
        self.runs.append(ImportedRun(p.id, run_id, run, timeline.events, timeline.paused_from))
        if run.state != Run.QUEUED and p.kind in (Automation.FUNCTION, Automation.MODEL_BUILD):
            self.add_execution(p, ref.name, run, start, end, run.state)
        if (
            run.state == Run.FAILED
            and run.attempt < 3
            and rng.random() < 0.6
            and end + MIN_US < self.now
        ):
            self.add_run(p, end + rng.randint(1, 10) * MIN_US, retried=run)

    def _work(self, p: Profile, timeline: Timeline, start: int, duration: int) -> None:
        """A started run: its journal, and its end, or a pause, or neither yet."""
        rng = self.rng
        end = start + duration
        timeline.apply(Action.START, Actor("runner", start), reason="runner picked it up")
        outcome = self._outcome(p) if end <= self.now else None
        paused_at = None
        if outcome is None and rng.random() < 0.3:
            # Paused by an operator a third of the way in (or just now).
            paused_at = max(start, min(self.now - MIN_US, start + duration // 3))
        until = self.now if paused_at is None else paused_at
        for i, node in enumerate(p.nodes):
            at = start + duration * (i + 1) // (len(p.nodes) + 1)
            ok = not (outcome is Action.FAIL and i == len(p.nodes) - 1)
            if at < until:
                timeline.journal(at, node, f"n{i + 1}", {"step": float(i + 1), "ok": ok})
        if outcome is not None:
            self._end(p, timeline, outcome, end)
        elif paused_at is not None:
            reason = rng.choice(("waiting for upstream data fix", "investigating spike"))
            timeline.apply(Action.PAUSE, Actor(rng.choice(PEOPLE[:2]), paused_at), reason=reason)

    def _outcome(self, p: Profile) -> Action:
        if self.rng.random() < p.failure_rate:
            return Action.FAIL
        return Action.CANCEL if self.rng.random() < 0.01 else Action.SUCCEED

    def _end(self, p: Profile, timeline: Timeline, outcome: Action, end: int) -> None:
        rng = self.rng
        if outcome is Action.FAIL:
            code, message = rng.choice(FAILURES)
            reason = Run.TIMEOUT if code == 124 else (Run.CRASHED if code == 137 else Run.FAILURE)
            timeline.apply(
                outcome, Actor("runner", end), reason=message, exit_code=code, end_reason=reason
            )
        elif outcome is Action.CANCEL:
            timeline.apply(outcome, Actor(PEOPLE[0], end), reason="no longer needed")
        else:
            outputs = []
            if p.kind == Automation.MODEL_BUILD:
                version = f"v{rng.randint(1, 60)}"
                outputs.append(
                    run_pb2.ResolvedOutput(name="model", resource=f"models/{p.id}", version=version)
                )
            timeline.apply(
                outcome, Actor("runner", end), reason="completed", exit_code=0, outputs=outputs
            )

    def add_execution(
        self, p: Profile, run_name: str, run: Run, start: int, end: int, state: int
    ) -> None:
        e = execution_pb2.Execution(
            run=run_name,
            resource=f"functions/{p.id}",
            resource_version=f"1.{self.rng.randint(0, 9)}.0",
            caller=run.caller,
            trace_id=run.trace_id,
        )
        e.create_time.FromMicroseconds(start)
        e.start_time.FromMicroseconds(start)
        ended = state in (Run.SUCCEEDED, Run.FAILED, Run.CANCELLED)
        if ended:
            e.end_time.FromMicroseconds(end)
            e.duration.FromMicroseconds(end - start)
        states: dict[int, execution_pb2.Execution.State] = {
            Run.SUCCEEDED: execution_pb2.Execution.SUCCEEDED,
            Run.FAILED: execution_pb2.Execution.FAILED,
            Run.CANCELLED: execution_pb2.Execution.CANCELLED,
        }
        e.state = states.get(state, execution_pb2.Execution.RUNNING)
        if state == Run.FAILED:
            e.failure_reason = "USER_ERROR" if run.exit_code != 124 else "TIMEOUT"
            e.failure.CopyFrom(run.failure)
        outputs = execution_pb2.ExecutionOutputs()
        if state == Run.SUCCEEDED:
            outputs.outputs["rows_written"].number_value = self.rng.randint(10, 100_000)
            outputs.outputs["status"].string_value = "ok"
            for out in run.outputs:
                outputs.outputs[out.name].string_value = f"{out.resource}@{out.version}"
        execution_id = f"x{len(self.executions):07d}"
        self.executions.append((execution_id, e, outputs))


def load_if_empty(store: Store, *, now_us: int | None = None) -> bool:
    """Loads the demo organization unless the store already holds any workspace."""
    if not store.is_empty():
        return False
    now = now_us or time.time_ns() // 1000
    ws = workspace_pb2.Workspace(display_name="Main", labels={"env": "prod"})
    ws.create_time.FromMicroseconds(now - 40 * DAY_US)
    ws.update_time.CopyFrom(ws.create_time)
    store.create_workspace(WORKSPACE, ws, "")
    for p in PROFILES:
        a = Automation(
            display_name=p.display_name,
            kind=p.kind,
            schedule=p.schedule,
            revision_id="rev-9",
            config_version=3 if p.kind == Automation.MODEL_BUILD else 1,
            labels={"owner": "platform-team"},
        )
        a.create_time.FromMicroseconds(now - 40 * DAY_US)
        a.update_time.CopyFrom(a.create_time)
        store.create_automation(AutomationRef(WORKSPACE, p.id), a, "")
    builder = _Builder(now)
    builder.build()
    store.import_runs(WORKSPACE, builder.runs)
    store.import_executions(WORKSPACE, builder.executions)
    log.info(
        "demo: %s with %d automations, %d runs, %d executions",
        WORKSPACE.name,
        len(PROFILES),
        len(builder.runs),
        len(builder.executions),
    )
    return True


def serve_demo(store: Store, token_file: str | None) -> None:
    """What ``serve --demo`` loads: the demo organization when the store is empty,
    and its admin token's file (``token_file``; None when auth is off)."""
    loaded = load_if_empty(store)
    log.info("demo data %s", "loaded" if loaded else "already present; left as it is")
    if token_file is not None:
        from runyard.auth.demo import ensure_demo_token

        path = Path(token_file)
        ensure_demo_token(store, path)
        log.info(
            "demo admin token of organizations/demo in %s (export RUNYARD_TOKEN=$(cat %s))",
            path,
            path,
        )
