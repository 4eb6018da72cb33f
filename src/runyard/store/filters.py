"""AIP-160 filters of the aggregate queries (fields `automation`, `state`,
`trigger`): compiled once by runyard.aip.filtering against the rollup table's
columns, and again on the runs table and on the candidate automations of
QueryAutomationRunAggregates (the same checked filter on other columns)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement
from sqlalchemy.sql import visitors

from runyard.aip.filtering import Field, FieldType, Schema, check_filter
from runyard.aip.sql import compile_checked, compile_filter
from runyard.store import tables as t
from runyard.store.listing import RUN_STATES, RUN_TRIGGERS, automation_id

CandidateFilter = Callable[
    [ColumnElement[str], ColumnElement[int], ColumnElement[int]], ColumnElement[bool]
]

R = t.run_rollups
_SCHEMA = Schema.of(
    Field("automation", FieldType.RESOURCE_NAME, convert=automation_id),
    Field("state", FieldType.ENUM, enum_values=RUN_STATES),
    Field("trigger", FieldType.ENUM, enum_values=RUN_TRIGGERS),
)


@dataclass(frozen=True)
class RunFilter:
    rollups: ColumnElement[bool] | None
    runs: ColumnElement[bool] | None
    uses_automation: bool
    uses_trigger: bool
    # The filter on (automation, state, trigger) column expressions of a query's own.
    candidates: CandidateFilter | None


NO_FILTER = RunFilter(None, None, False, False, None)


def compile_run_filter(text: str) -> RunFilter:
    """The filter on each target, or INVALID_ARGUMENT (INVALID_FILTER)."""
    rollups = compile_filter(text, _SCHEMA, R.c)
    checked = check_filter(text, _SCHEMA)
    if rollups is None or checked is None:
        return NO_FILTER
    used = {e.name for e in visitors.iterate(rollups) if isinstance(e, Column) and e.table is R}

    def candidates(
        automation: ColumnElement[str], state: ColumnElement[int], trigger: ColumnElement[int]
    ) -> ColumnElement[bool]:
        columns: dict[str, ColumnElement[Any]] = {
            "automation": automation,
            "state": state,
            "trigger": trigger,
        }
        return compile_checked(checked, _SCHEMA, columns)

    runs = compile_filter(text, _SCHEMA, t.runs.c)
    return RunFilter(rollups, runs, "automation" in used, "trigger" in used, candidates)
