"""AIP-160 filters on the aggregate queries: automation (name or id), state, trigger."""

from __future__ import annotations

import random
from datetime import date

import grpc
import pytest

from runyard.aip.errors import ApiError
from runyard.api import aggregates as api
from runyard.store.sql import SqlStore
from runyard.v1 import run_pb2, run_service_pb2
from tests.api.test_aggregates import AUTOMATIONS, EPOCH, R, load, new_workspace, pb_date, store

Run = run_pb2.Run
__all__ = ["store"]  # the fixture, re-used

DAY = date(2024, 3, 10)
START_US = int((DAY.toordinal() - EPOCH.date().toordinal()) * 86_400_000_000)


def _runs() -> list[R]:
    rng = random.Random(3)
    states = (Run.SUCCEEDED, Run.FAILED, Run.RUNNING, Run.CANCELLED)
    triggers = (Run.CRON, Run.API, Run.MANUAL)
    return [
        R(
            rng.choice(AUTOMATIONS),
            START_US + rng.randrange(86_400_000_000),
            rng.choice(states),
            rng.choice(triggers),
            rng.randrange(1, 10_000_000),
        )
        for _ in range(300)
    ]


CASES = [
    ('automation = "alpha"', lambda r: r.automation == "alpha"),
    (
        'automation = "organizations/acme/workspaces/{ws}/automations/alpha" '
        'OR automation = "beta"',
        lambda r: r.automation in ("alpha", "beta"),
    ),
    ("state = FAILED", lambda r: r.state == Run.FAILED),
    (
        "trigger = CRON AND state != SUCCEEDED",
        lambda r: r.trigger == Run.CRON and r.state != Run.SUCCEEDED,
    ),
    (
        'NOT automation = "gamma" AND (trigger = API OR trigger = MANUAL)',
        lambda r: r.automation != "gamma" and r.trigger in (Run.API, Run.MANUAL),
    ),
]


@pytest.mark.parametrize(("text", "keep"), CASES, ids=[c[0][:40] for c in CASES])
def test_daily_filter(store: SqlStore, text: str, keep: object) -> None:
    ws = new_workspace(store)
    runs = _runs()
    load(store, ws, runs)
    request = run_service_pb2.QueryDailyRunAggregatesRequest(
        parent=ws.name,
        start_date=pb_date(DAY),
        end_date=pb_date(DAY),
        time_zone="UTC",
        filter=text.replace("{ws}", ws.workspace),
    )
    day = api.query_daily(store, request).days[0]
    expected = [r for r in runs if keep(r)]  # type: ignore[operator]
    assert day.total_runs == len(expected)
    assert day.state_counts.failed == sum(r.state == Run.FAILED for r in expected)

    per_auto = api.query_automations(
        store,
        run_service_pb2.QueryAutomationRunAggregatesRequest(
            parent=ws.name, filter=text.replace("{ws}", ws.workspace)
        ),
    )
    assert sum(a.total_runs for a in per_auto.automation_run_aggregates) == len(expected)


@pytest.mark.parametrize(
    "text", ["labels.team = x", "state = BOGUS", "state > FAILED", "(automation", "disk"]
)
def test_bad_aggregate_filters(store: SqlStore, text: str) -> None:
    ws = new_workspace(store)
    request = run_service_pb2.QueryDailyRunAggregatesRequest(
        parent=ws.name,
        start_date=pb_date(DAY),
        end_date=pb_date(DAY),
        time_zone="UTC",
        filter=text,
    )
    with pytest.raises(ApiError) as err:
        api.query_daily(store, request)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.value.field_violations] == ["filter"]
