"""One List call, end to end: filter (AIP-160), order (AIP-132), keyset page
token, skip and total_size (AIP-158).

A store declares each collection once (`Collection`) and, per request, either

- calls `run_list(conn, base, collection, request, codec)`, which runs the page
  (and the count when asked) on a sync Connection and returns
  `ListResult(rows, next_page_token, total_size)`; or
- builds the statements itself from `plan_list(collection, request, codec)`:
  `plan.where` (base + filter + cursor), `plan.order_by`, `plan.limit`
  (page_size + 1), `plan.offset` (skip), `plan.key_columns` (the sort keys,
  labelled, to add to the SELECT), `plan.count(base)` when show_total_size is
  set, and `plan.page(rows)` → (page rows, next_page_token).

Every argument error is an ApiError INVALID_ARGUMENT naming the field
(filter, order_by, page_size, page_token, skip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Label, Row, Select, and_, func, select

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering import Schema, compile_filter
from runyard.aip.ordering import OrderBy, OrderField, parse_order_by
from runyard.aip.pagination import PageTokenCodec, after, fingerprint, page_size

KEY_LABEL = "_page_key_{}"


@dataclass(frozen=True)
class Collection:
    """What a collection allows: its filter schema, sortable fields, default
    order, unique tiebreaker (columns that make the order total), page sizes
    and the largest `skip`. `name` is part of every token's fingerprint, so a
    token of one collection is refused by another."""

    name: str
    schema: Schema
    order_fields: Mapping[str, OrderField]
    default_order: str
    tiebreaker: Sequence[OrderField]
    default_page_size: int = 50
    max_page_size: int = 1000
    max_skip: int = 10_000
    # A page stops early (with a next_page_token, as AIP-158 allows) once the
    # rows' first column (the stored message) adds up to this many bytes, so a
    # response stays under gRPC's 4 MiB default whatever is stored.
    max_page_bytes: int = 3 << 20


@dataclass(frozen=True)
class ListRequest:
    """The list parameters as the caller sent them. `parent` and `extra` (any
    other request field that changes the result, e.g. show_deleted or a view)
    bind the page token: a token is refused under another parent, filter,
    order_by or extra; page_size may change between pages."""

    parent: str
    filter: str = ""
    order_by: str = ""
    page_size: int = 0
    page_token: str = ""
    skip: int = 0
    show_total_size: bool = False
    extra: tuple[str, ...] = ()


class ListResult(NamedTuple):
    rows: list[Row[Any]]
    next_page_token: str
    total_size: int | None


@dataclass(frozen=True)
class ListPlan:
    """The statements of one page, validated and compiled."""

    page_size: int
    offset: int
    order: OrderBy
    base_where: ColumnElement[bool] | None
    filter: ColumnElement[bool] | None  # the compiled filter alone
    cursor: ColumnElement[bool] | None  # the keyset predicate; None on the first page
    show_total_size: bool
    fingerprint: str
    codec: PageTokenCodec
    max_page_bytes: int = 3 << 20

    @property
    def limit(self) -> int:
        # One row more than the page tells whether another page follows.
        return self.page_size + 1

    @property
    def where(self) -> ColumnElement[bool] | None:
        """base AND filter AND cursor (None when there is none of them)."""
        parts = [c for c in (self.base_where, self.cursor, self.filter) if c is not None]
        return and_(*parts) if parts else None

    @property
    def order_by(self) -> list[ColumnElement[Any]]:
        return self.order.clauses()

    @property
    def key_columns(self) -> list[Label[Any]]:
        """The sort keys, labelled `_page_key_0…`; the fetched rows must carry them."""
        return [f.key.label(KEY_LABEL.format(i)) for i, (f, _) in enumerate(self.order.terms)]

    def apply(self, base: Select[Any]) -> Select[Any]:
        """`base` (its own columns and WHERE) as this page: conditions, keys, order, limit."""
        query = base
        if self.where is not None:
            query = query.where(self.where)
        query = query.add_columns(*self.key_columns).order_by(*self.order_by).limit(self.limit)
        return query.offset(self.offset) if self.offset else query

    def count(self, base: Select[Any]) -> Select[Any] | None:
        """SELECT count(*) of `base` under base_where and the filter (not the cursor),
        or None unless show_total_size was asked for."""
        if not self.show_total_size:
            return None
        query = base.order_by(None)
        for cond in (self.base_where, self.filter):
            if cond is not None:
                query = query.where(cond)
        return select(func.count()).select_from(query.subquery())

    def page(self, rows: Sequence[Row[Any]]) -> tuple[list[Row[Any]], str]:
        """(the page's rows, next_page_token): the token comes from the last
        row kept (the page_size-th, or an earlier one where max_page_bytes ran
        out) and is empty when no row follows it."""
        kept = list(rows[: self.page_size])
        budget = self.max_page_bytes
        for i, row in enumerate(kept):
            first = row[0]
            budget -= len(first) if isinstance(first, (bytes, str)) else 0
            if budget < 0 and i > 0:
                kept = kept[:i]
                break
        else:
            if len(rows) <= self.page_size:
                return kept, ""
        last = kept[-1]._mapping
        values = [last[KEY_LABEL.format(i)] for i in range(len(self.order.terms))]
        return kept, self.codec.encode(self.fingerprint, values)


def plan_list(
    collection: Collection,
    request: ListRequest,
    codec: PageTokenCodec,
    base_where: ColumnElement[bool] | None = None,
) -> ListPlan:
    """Validates `request` against `collection` and compiles its page.

    `base_where` is the caller's own condition (typically the parent); it is
    part of plan.where and of the count, while `request.parent` binds the token.
    """
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
    request_fp = fingerprint(
        collection.name, request.parent, request.filter.strip(), order.normalized, *request.extra
    )
    cursor = None
    if request.page_token:
        values = codec.decode(request.page_token, request_fp, len(order.terms))
        cursor = after(order, values)
    return ListPlan(
        page_size=size,
        offset=request.skip,
        order=order,
        base_where=base_where,
        filter=condition,
        cursor=cursor,
        show_total_size=request.show_total_size,
        fingerprint=request_fp,
        codec=codec,
        max_page_bytes=collection.max_page_bytes,
    )


def run_list(
    conn: Connection,
    base: Select[Any],
    collection: Collection,
    request: ListRequest,
    codec: PageTokenCodec,
) -> ListResult:
    """Runs `base` (a SELECT of the caller's columns, already limited to the
    parent) as one page of the list; total_size only when asked for."""
    plan = plan_list(collection, request, codec)
    counted = plan.count(base)
    total = None if counted is None else int(conn.execute(counted).scalar_one())
    rows, token = plan.page(conn.execute(plan.apply(base)).all())
    return ListResult(rows, token, total)
