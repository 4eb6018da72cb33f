"""Loads runyard's benchmark runs into a Prefect server database as flow runs.

Runs inside Prefect's own virtual environment (bench/.venv-prefect), never in
runyard's: it imports Prefect only. Creating 100,000 flow runs one API call at
a time would take hours (a few runs per second), so this uses Prefect's own
database layer: its migrations, its ORM models and its session, with one
multi-row insert per batch, exactly the rows its API would have written for a
flow run and its current state.

    python bench/prefect_loader.py RUNS.jsonl

with PREFECT_API_DATABASE_CONNECTION_URL pointing at the target database.
Each line: {"automation", "run", "state" (COMPLETED|FAILED|RUNNING), "create",
"start", "end" (microseconds since the epoch; end may be null)}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prefect.server.database import provide_database_interface
from prefect.server.schemas.states import StateType

BATCH = 2_000


def _ts(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / 1e6, UTC)


async def load(path: str) -> int:
    db = provide_database_interface()
    await db.run_migrations_upgrade()
    flows: dict[str, uuid.UUID] = {}
    count = 0
    with open(path) as lines:
        batch: list[dict[str, Any]] = []
        for line in lines:
            batch.append(json.loads(line))
            if len(batch) >= BATCH:
                count += await _insert(db, batch, flows)
                batch = []
        if batch:
            count += await _insert(db, batch, flows)
    return count


async def _insert(db: Any, batch: list[dict[str, Any]], flows: dict[str, uuid.UUID]) -> int:
    async with db.session_context(begin_transaction=True) as session:
        for r in batch:
            if r["automation"] not in flows:
                flows[r["automation"]] = uuid.uuid4()
                await session.execute(
                    sa.insert(db.Flow).values(id=flows[r["automation"]], name=r["automation"])
                )
        runs, states = [], []
        for r in batch:
            run_id, state_id = uuid.uuid4(), uuid.uuid4()
            state = StateType(r["state"])
            start, end = _ts(r["start"]), _ts(r["end"])
            at = end or start or _ts(r["create"])
            runs.append(
                {
                    "id": run_id,
                    "name": r["run"],
                    "flow_id": flows[r["automation"]],
                    "state_type": state,
                    "state_name": state.value.title(),
                    "state_timestamp": at,
                    "run_count": 1,
                    "expected_start_time": _ts(r["create"]),
                    "start_time": start,
                    "end_time": end,
                    "total_run_time": (end - start) if end and start else timedelta(0),
                    "tags": ["bench"],
                    "parameters": {},
                    "created": _ts(r["create"]),
                    "updated": at,
                }
            )
            states.append(
                {
                    "id": state_id,
                    "flow_run_id": run_id,
                    "type": state,
                    "name": state.value.title(),
                    "timestamp": at,
                    "created": at,
                    "updated": at,
                }
            )
        await session.execute(sa.insert(db.FlowRun), runs)
        await session.execute(sa.insert(db.FlowRunState), states)
        # The run points at its current state, as Prefect's orchestration leaves it.
        fr, frs = db.FlowRun.__table__, db.FlowRunState.__table__
        await session.execute(
            sa.update(fr)
            .where(fr.c.id.in_([r["id"] for r in runs]))
            .values(
                state_id=sa.select(frs.c.id).where(frs.c.flow_run_id == fr.c.id).scalar_subquery()
            )
        )
    return len(batch)


def main() -> None:
    count = asyncio.run(load(sys.argv[1]))
    print(f"loaded {count} flow runs")


if __name__ == "__main__":
    main()
