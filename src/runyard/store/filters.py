"""AIP-160 filters of the aggregate queries (fields `automation`, `state`,
`trigger`), compiled once per target: the rollup table, the runs table, and the
candidate automations of QueryAutomationRunAggregates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from runyard.aip.errors import invalid_argument

CandidateFilter = Callable[
    [ColumnElement[str], ColumnElement[int], ColumnElement[int]], ColumnElement[bool]
]


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
    if not text.strip():
        return NO_FILTER
    raise invalid_argument("filter", "filters are not supported yet", "INVALID_FILTER")
