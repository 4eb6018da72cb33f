"""A validated ListPlan (runyard.aip.listing) as SQL: `base` (a SELECT of the
stored message and the parent's WHERE) gets the compiled filter, the keyset
predicate of the page token, the sort keys, ORDER BY, LIMIT and OFFSET.

Every statement of a plan has the same SQL text for the same collection,
filter text and order, whatever the page: literals and cursor values are bound
parameters, so SQLAlchemy compiles it once and reuses it from its cache."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Row, Select, func, select

from runyard.aip.listing import Collection, ListPlan, ListRequest, plan_list
from runyard.aip.pagination import PageTokenCodec
from runyard.aip.sql import compile_plan_filter
from runyard.aip.sql.columns import Columns
from runyard.aip.sql.keyset import after, order_clauses, sort_key

KEY_LABEL = "_page_key_{}"


class ListResult(NamedTuple):
    rows: list[Row[Any]]
    next_page_token: str
    total_size: int | None


def plan_filter(plan: ListPlan, columns: Columns) -> ColumnElement[bool] | None:
    schema = plan.collection.schema
    return compile_plan_filter(schema, plan.filter_text, plan.filter, columns)


def page_query(plan: ListPlan, base: Select[Any], columns: Columns) -> Select[Any]:
    """`base` as the plan's page: filter, cursor, sort keys (labelled, last),
    order, limit and offset."""
    query = base
    condition = plan_filter(plan, columns)
    if plan.cursor is not None:
        query = query.where(after(plan.order, plan.cursor, columns))
    if condition is not None:
        query = query.where(condition)
    keys = [
        sort_key(f, columns).label(KEY_LABEL.format(i)) for i, (f, _) in enumerate(plan.order.terms)
    ]
    query = query.add_columns(*keys).order_by(*order_clauses(plan.order, columns))
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


def run_plan(conn: Connection, base: Select[Any], plan: ListPlan, columns: Columns) -> ListResult:
    """Runs `base` (a SELECT of the caller's columns, already limited to the
    parent) as the plan's page; total_size only when asked for."""
    counted = count_query(plan, base, columns)
    total = None if counted is None else int(conn.execute(counted).scalar_one())
    rows, token = plan.page(conn.execute(page_query(plan, base, columns)).all())
    return ListResult(rows, token, total)


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
