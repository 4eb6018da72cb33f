"""AIP-160 filters of the aggregate queries (fields `automation`, `state`,
`trigger`): compiled once by runyard.aip.filtering against the rollup table's
columns, then re-targeted at the runs table and at the candidate automations
of QueryAutomationRunAggregates by swapping those three columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement
from sqlalchemy.sql import visitors

from runyard.aip.filtering import Field, FieldType, Schema, compile_filter
from runyard.store import tables as t
from runyard.store.listing import RUN_STATES, RUN_TRIGGERS, automation_id

CandidateFilter = Callable[
    [ColumnElement[str], ColumnElement[int], ColumnElement[int]], ColumnElement[bool]
]

R = t.run_rollups
_SCHEMA = Schema.of(
    Field("automation", FieldType.RESOURCE_NAME, R.c.automation, convert=automation_id),
    Field("state", FieldType.ENUM, R.c.state, RUN_STATES),
    Field("trigger", FieldType.ENUM, R.c.trigger, RUN_TRIGGERS),
)
_RUNS = {"automation": t.runs.c.automation, "state": t.runs.c.state, "trigger": t.runs.c.trigger}


@dataclass(frozen=True)
class RunFilter:
    rollups: ColumnElement[bool] | None
    runs: ColumnElement[bool] | None
    uses_automation: bool
    uses_trigger: bool
    # The filter on (automation, state, trigger) column expressions of a query's own.
    candidates: CandidateFilter | None


NO_FILTER = RunFilter(None, None, False, False, None)


def _retarget(
    condition: ColumnElement[bool], columns: Mapping[str, ColumnElement[Any]]
) -> ColumnElement[bool]:
    """The same condition on other columns (the rollup table's, swapped by name)."""

    def swap(element: Any, **_: Any) -> Any:
        if isinstance(element, Column) and element.table is R:
            return columns[element.name]
        return None

    return visitors.replacement_traverse(condition, {}, swap)  # type: ignore[return-value]


def compile_run_filter(text: str) -> RunFilter:
    """The filter on each target, or INVALID_ARGUMENT (INVALID_FILTER)."""
    rollups = compile_filter(text, _SCHEMA)
    if rollups is None:
        return NO_FILTER
    used = {e.name for e in visitors.iterate(rollups) if isinstance(e, Column) and e.table is R}

    def candidates(
        automation: ColumnElement[str], state: ColumnElement[int], trigger: ColumnElement[int]
    ) -> ColumnElement[bool]:
        return _retarget(rollups, {"automation": automation, "state": state, "trigger": trigger})

    return RunFilter(
        rollups, _retarget(rollups, _RUNS), "automation" in used, "trigger" in used, candidates
    )
