"""A validated ListPlan (runyard.aip.listing) as SQL: `base` (a SELECT of the
stored message and the parent's WHERE) gets the compiled filter, the keyset
predicate of the page token, the sort keys, ORDER BY, LIMIT and OFFSET.

Every statement of a plan has the same SQL text for the same collection,
filter text and order, whatever the page: literals and cursor values are bound
parameters, so SQLAlchemy compiles it once and reuses it from its cache. A
caller that names its base query's shape (and passes the base's values as
named bind parameters) gets the page from prepared.py's driver-level path."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, select

from runyard.aip.listing import Collection, ListPlan, ListRequest, plan_list
from runyard.aip.pagination import PageTokenCodec
from runyard.aip.sql import compile_plan_filter
from runyard.aip.sql.columns import Columns
from runyard.aip.sql.keyset import after, order_clauses, sort_key
from runyard.aip.sql.prepared import LIMIT, OFFSET, cursor_params, fetch_page

KEY_LABEL = "_page_key_{}"


class ListResult(NamedTuple):
    rows: list[Sequence[Any]]  # each: the base's columns, then the sort keys
    next_page_token: str
    total_size: int | None


def plan_filter(plan: ListPlan, columns: Columns) -> ColumnElement[bool] | None:
    schema = plan.collection.schema
    return compile_plan_filter(schema, plan.filter_text, plan.filter, columns)


def page_query(
    plan: ListPlan, base: Select[Any], columns: Columns, *, named: bool = False
) -> Select[Any]:
    """`base` as the plan's page: filter, cursor, sort keys (labelled, last),
    order, limit and offset; with `named`, the cursor, limit and offset are
    the named parameters of prepared.slot_values instead of literals."""
    query = base
    condition = plan_filter(plan, columns)
    if plan.cursor is not None:
        cursor: Sequence[Any] = cursor_params(plan) if named else plan.cursor
        query = query.where(after(plan.order, cursor, columns))
    if condition is not None:
        query = query.where(condition)
    keys = [
        sort_key(f, columns).label(KEY_LABEL.format(i)) for i, (f, _) in enumerate(plan.order.terms)
    ]
    query = query.add_columns(*keys).order_by(*order_clauses(plan.order, columns))
    if named:
        query = query.limit(bindparam(LIMIT))
        return query.offset(bindparam(OFFSET)) if plan.offset else query
    query = query.limit(plan.limit)
    return query.offset(plan.offset) if plan.offset else query


def count_query(plan: ListPlan, base: Select[Any], columns: Columns) -> Select[Any] | None:
    """SELECT count(*) of `base` under the filter (not the cursor), or None
    unless show_total_size was asked for."""
    if not plan.show_total_size:
        return None
    query = base.order_by(None)
    condition = plan_filter(plan, columns)
    if condition is not None:
        query = query.where(condition)
    return select(func.count()).select_from(query.subquery())


def run_plan(
    conn: Connection,
    base: Select[Any],
    plan: ListPlan,
    columns: Columns,
    *,
    shape: Hashable = None,
    values: Mapping[str, Any] | None = None,
) -> ListResult:
    """Runs `base` (a SELECT of the caller's columns, already limited to the
    parent) as the plan's page; total_size only when asked for.

    `shape` names the base query's SQL (equal shapes, equal SQL text), whose
    varying values are bind parameters named in `values`: then the page runs
    prepared (prepared.py). Without it, every page is built and run by SQLAlchemy."""
    params = dict(values or {})
    counted = count_query(plan, base, columns)
    total = None if counted is None else int(conn.execute(counted, params).scalar_one())
    if shape is None:
        rows: Sequence[Sequence[Any]] = conn.execute(page_query(plan, base, columns)).all()
    else:
        build = lambda: page_query(plan, base, columns, named=True)  # noqa: E731
        rows = fetch_page(conn, build, plan, shape, params)
    kept, token = plan.page(rows)
    return ListResult(kept, token, total)


def run_list(
    conn: Connection,
    base: Select[Any],
    collection: Collection,
    request: ListRequest,
    codec: PageTokenCodec,
    columns: Columns,
) -> ListResult:
    """plan_list and run_plan in one call."""
    return run_plan(conn, base, plan_list(collection, request, codec), columns)
