"""Migration 0012 (four-hour rollup rows): on a database that had only the
hour rows, the four-hour rows it sums up are the ones the writers keep, and a
rollup delta still waiting in an unnumbered change-feed row gets the
four-hour entries its hour entries imply."""

from __future__ import annotations

import json
import random
from typing import Any

from alembic import command
from sqlalchemy import Engine, delete, insert, select

from runyard.store import layout, migrate
from runyard.store import tables as t
from runyard.store.interface import ImportedRun
from runyard.store.refs import AutomationRef, WorkspaceRef
from runyard.store.sql import SqlStore
from runyard.v1 import automation_pb2, run_pb2, workspace_pb2

Run = run_pb2.Run
H = 3_600_000_000
START = 1_704_067_200_000_000  # 2024-01-01T00:00Z


def _runs(seed: int) -> list[ImportedRun]:
    rng = random.Random(seed)
    out = []
    for i in range(200):
        run = Run(
            state=rng.choice([Run.SUCCEEDED, Run.FAILED, Run.RUNNING]),
            trigger=rng.choice([Run.API, Run.CRON]),
        )
        create = START + rng.randrange(-30 * H, 50 * H)
        run.create_time.FromMicroseconds(create)
        run.update_time.FromMicroseconds(create)
        if run.state != Run.RUNNING:
            run.start_time.FromMicroseconds(create)
            run.duration.FromMicroseconds(rng.randrange(1, 10**10))
        out.append(ImportedRun(rng.choice(["a", "b"]), f"r{i}", run, []))
    return out


def _four_hour_rows(engine: Engine) -> list[Any]:
    r = t.run_rollups
    with engine.connect() as conn:
        return sorted(
            tuple(row)
            for row in conn.execute(select(r).where(r.c.level == layout.LEVEL_FOUR_HOURS)).all()
        )


def _migrate(engine: Engine, to: str) -> None:
    config = migrate.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if to == "head":
            command.upgrade(config, to)
        else:
            command.downgrade(config, to)


def test_upgrade_sums_what_writers_keep(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        ws = WorkspaceRef("acme", "w")
        store.create_workspace(ws, workspace_pb2.Workspace(), "")
        for a in ("a", "b"):
            store.create_automation(AutomationRef(ws, a), automation_pb2.Automation(), "")
        store.import_runs(ws, _runs(7))
        kept = _four_hour_rows(store.engine)
        assert kept, "the writers keep four-hour rows"
        _migrate(store.engine, "0011")
        assert _four_hour_rows(store.engine) == []
        _migrate(store.engine, "head")
        assert _four_hour_rows(store.engine) == kept
    finally:
        store.close()


def test_upgrade_extends_a_waiting_delta(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        _migrate(store.engine, "0011")
        hour = START - 3 * H  # negative offsets into the day floor the right way
        delta = [
            [layout.LEVEL_HOUR, "", hour, int(Run.SUCCEEDED), -1, 1, 1, 5, 5, {"3": 1}],
            [layout.LEVEL_DAY, "", START - 24 * H, int(Run.SUCCEEDED), -1, 1, 1, 5, 5, {"3": 1}],
        ]
        c = t.run_changes
        with store.engine.begin() as conn:
            conn.execute(delete(c))
            conn.execute(
                insert(c).values(
                    workspace_id=1,
                    seq=None,
                    automation="a",
                    create_time=hour,
                    body=b"",
                    rollup=json.dumps(delta),
                )
            )
        _migrate(store.engine, "head")
        with store.engine.connect() as conn:
            (rollup,) = conn.execute(select(c.c.rollup)).one()
        four = [layout.LEVEL_FOUR_HOURS, "", START - 4 * H, int(Run.SUCCEEDED), -1, 1, 1, 5, 5]
        assert json.loads(rollup) == [*delta, [*four, {"3": 1}]]
        _migrate(store.engine, "0011")
        with store.engine.connect() as conn:
            (rollup,) = conn.execute(select(c.c.rollup)).one()
        assert json.loads(rollup) == delta
    finally:
        store.close()
