"""One List call, end to end: filter (AIP-160), order (AIP-132), keyset page
token, skip and total_size (AIP-158) applied to a caller's base query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, func, select

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering import Schema, compile_filter
from runyard.aip.ordering import OrderField, parse_order_by
from runyard.aip.pagination import PageTokenCodec, after, fingerprint, page_size


@dataclass(frozen=True)
class Collection:
    """What a collection allows: its filter schema, sortable fields, default
    order, unique tiebreaker, page sizes and the largest `skip`."""

    name: str
    schema: Schema
    order_fields: Mapping[str, OrderField]
    default_order: str
    tiebreaker: Sequence[OrderField]
    default_page_size: int = 50
    max_page_size: int = 1000
    max_skip: int = 10_000


@dataclass(frozen=True)
class ListRequest:
    parent: str
    filter: str = ""
    order_by: str = ""
    page_size: int = 0
    page_token: str = ""
    skip: int = 0
    show_total_size: bool = False


@dataclass
class ListResult:
    rows: list[Row[Any]]
    next_page_token: str
    total_size: int | None


def run_list(
    conn: Connection,
    base: Select[Any],
    collection: Collection,
    request: ListRequest,
    codec: PageTokenCodec,
) -> ListResult:
    """Runs `base` (a SELECT already limited to the parent) as one page of the list."""
    size = page_size(request.page_size, collection.default_page_size, collection.max_page_size)
    if request.skip < 0:
        raise invalid_argument("skip", "must not be negative", "INVALID_SKIP")
    if request.skip > collection.max_skip:
        raise invalid_argument(
            "skip", f"must be at most {collection.max_skip}; use page tokens", "INVALID_SKIP"
        )
    order = parse_order_by(
        request.order_by,
        collection.order_fields,
        collection.default_order,
        collection.tiebreaker,
    )
    condition = compile_filter(request.filter, collection.schema)
    query = base if condition is None else base.where(condition)
    total = None
    if request.show_total_size:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = int(conn.execute(counted).scalar_one())
    request_fp = fingerprint(
        collection.name, request.parent, request.filter.strip(), order.normalized
    )
    if request.page_token:
        cursor = codec.decode(request.page_token, request_fp, len(order.terms))
        query = query.where(after(order, cursor))
    keys = [f.key.label(f"_page_key_{i}") for i, (f, _) in enumerate(order.terms)]
    query = query.add_columns(*keys).order_by(*order.clauses()).limit(size + 1)
    if request.skip:
        query = query.offset(request.skip)
    rows = list(conn.execute(query).all())
    token = ""
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]._mapping
        token = codec.encode(request_fp, [last[f"_page_key_{i}"] for i in range(len(keys))])
    return ListResult(rows, token, total)


def filter_condition(text: str, schema: Schema) -> ColumnElement[Any] | None:
    """The compiled filter alone, for queries that are not lists (aggregates)."""
    return compile_filter(text, schema)
