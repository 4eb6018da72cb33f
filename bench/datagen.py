"""Benchmark data: N runs over D days in one workspace, each made through the
run state machine (runyard.domain.timeline), so its timeline is what the API
would have written.

The shape follows a real team's mix: one hot automation with most of the runs,
a long tail of others, ~8 % failures, a few runs still running. Written through
Store.import_runs (the same rows the API writes), in batches, and cached:
a database file that already holds the requested size is reused.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from runyard.domain.runs import Action, Actor
from runyard.domain.timeline import Timeline
from runyard.store.interface import ImportedRun, Store
from runyard.store.refs import AutomationRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2

Run = run_pb2.Run
RunEvent = run_pb2.RunEvent
WORKSPACE = WorkspaceRef("bench", "main")
AUTOMATIONS = ("hot-etl", *(f"task-{i:02d}" for i in range(11)))
WEIGHTS = (70, *(3,) * 10, 0.01)  # the last one almost never runs: rare-parent case
DAY_US = 86_400_000_000
BATCH = 5_000


def automation_name(automation: str) -> str:
    return AutomationRef(WORKSPACE, automation).name


def generate(store: Store, runs: int, days: int = 90, *, seed: int = 11) -> None:
    rng = random.Random(seed)
    now = time.time_ns() // 1000
    start = now - days * DAY_US
    ws = workspace_pb2.Workspace(display_name="Bench")
    ws.create_time.FromMicroseconds(start)
    ws.update_time.FromMicroseconds(start)
    store.create_workspace(WORKSPACE, ws, "")
    for a in AUTOMATIONS:
        auto = automation_pb2.Automation(display_name=a, kind=automation_pb2.Automation.WORKFLOW)
        auto.create_time.FromMicroseconds(start)
        auto.update_time.FromMicroseconds(start)
        store.create_automation(AutomationRef(WORKSPACE, a), auto, "")
    # Creation times in order, so run ids sort like create_time as real ones do.
    times = sorted(start + int(rng.random() * (now - start)) for _ in range(runs))
    batch: list[ImportedRun] = []
    for i, created in enumerate(times):
        automation = rng.choices(AUTOMATIONS, WEIGHTS)[0]
        batch.append(ImportedRun(automation, f"r{i:09d}", *_timeline(rng, created, now)))
        if len(batch) >= BATCH:
            store.import_runs(WORKSPACE, batch)
            batch = []
    if batch:
        store.import_runs(WORKSPACE, batch)


def _timeline(rng: random.Random, created: int, now: int) -> tuple[Run, list[RunEvent], int]:
    """One run made by the state machine: created, started a second later, and
    ended (~8 % failed) unless its drawn duration reaches past now."""
    roll = rng.random()
    duration = int(rng.expovariate(1 / 120e6)) + 1_000_000
    template = Run(
        trigger=rng.choice((Run.CRON, Run.API, Run.SCHEDULE, Run.EVENT)),
        caller="scheduler",
        config_version=rng.choice((1, 2, 3)),
        labels={"team": rng.choice(("data", "billing", "platform")), "env": "prod"},
    )
    timeline = Timeline.created(template, Actor("bench", created))
    started = created + 1_000_000
    timeline.apply(Action.START, Actor("runner", started))
    end = started + duration
    if end <= now:
        runner = Actor("runner", end)
        if roll < 0.08:
            message = rng.choice(("disk full", "OOM killed", "HTTP 503"))
            timeline.apply(Action.FAIL, runner, reason=message, exit_code=1)
        else:
            timeline.apply(Action.SUCCEED, runner, exit_code=0)
    return timeline.run, timeline.events, timeline.paused_from


def ensure(path: Path, runs: int, days: int = 90) -> str:
    """A SQLite database under `path` holding exactly `runs` benchmark runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    store = SqlStore(url)
    try:
        with store.engine.connect() as conn:
            have = conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one()
        if have == runs:
            return url
    finally:
        store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = SqlStore(url)
    try:
        started = time.perf_counter()
        generate(store, runs, days)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"generated {runs:,} runs in {time.perf_counter() - started:.1f}s -> {path}")
    finally:
        store.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate (or reuse) benchmark data.")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--path", type=Path, default=Path("bench/data/runs-1000000.db"))
    args = parser.parse_args()
    ensure(args.path, args.runs, args.days)


if __name__ == "__main__":
    main()
