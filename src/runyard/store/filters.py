"""AIP-160 filters of the aggregate queries (fields `automation`, `state`,
`trigger`), compiled once per target: the rollup table, the runs table, and the
candidate automations of QueryAutomationRunAggregates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering import Field, FieldType, Schema
from runyard.aip.filtering.ast import And, Expr, Not, Or, Restriction
from runyard.aip.filtering.compiler import FilterTypeError, compile_expr
from runyard.aip.filtering.parser import FilterSyntaxError, parse
from runyard.store import tables as t
from runyard.store.listing import automation_id
from runyard.v1 import run_pb2

CandidateFilter = Callable[
    [ColumnElement[str], ColumnElement[int], ColumnElement[int]], ColumnElement[bool]
]

_STATES = {v.name: v.number for v in run_pb2.Run.State.DESCRIPTOR.values}
_TRIGGERS = {v.name: v.number for v in run_pb2.Run.Trigger.DESCRIPTOR.values}


@dataclass(frozen=True)
class RunFilter:
    rollups: ColumnElement[bool] | None
    runs: ColumnElement[bool] | None
    uses_automation: bool
    uses_trigger: bool
    # The filter on (automation, state, trigger) column expressions of a query's own.
    candidates: CandidateFilter | None


NO_FILTER = RunFilter(None, None, False, False, None)


def _schema(automation: Any, state: Any, trigger: Any) -> Schema:
    return Schema.of(
        Field("automation", FieldType.RESOURCE_NAME, automation, convert=automation_id),
        Field("state", FieldType.ENUM, state, _STATES),
        Field("trigger", FieldType.ENUM, trigger, _TRIGGERS),
    )


def _fields(expr: Expr) -> Iterator[str]:
    if isinstance(expr, And | Or):
        for item in expr.items:
            yield from _fields(item)
    elif isinstance(expr, Not):
        yield from _fields(expr.expr)
    elif isinstance(expr, Restriction) and expr.op is not None:
        comp = expr.comparable
        yield getattr(comp, "path", "")


def compile_run_filter(text: str) -> RunFilter:
    try:
        tree = parse(text)
        if tree is None:
            return NO_FILTER
        used = set(_fields(tree))
        rollups = compile_expr(
            tree,
            _schema(t.run_rollups.c.automation, t.run_rollups.c.state, t.run_rollups.c.trigger),
        )
        runs = compile_expr(tree, _schema(t.runs.c.automation, t.runs.c.state, t.runs.c.trigger))
    except (FilterSyntaxError, FilterTypeError) as exc:
        raise invalid_argument(
            "filter", str(exc), "INVALID_FILTER", position=str(exc.pos)
        ) from None

    def candidates(
        automation: ColumnElement[str], state: ColumnElement[int], trigger: ColumnElement[int]
    ) -> ColumnElement[bool]:
        assert tree is not None
        return compile_expr(tree, _schema(automation, state, trigger))

    return RunFilter(rollups, runs, "automation" in used, "trigger" in used, candidates)
