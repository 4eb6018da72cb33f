"""One List call as a validated plan: filter (AIP-160), order (AIP-132), page
size, skip and keyset page token (AIP-158), independent of any store.

The API layer declares each collection once (`Collection`), turns a List
request into a `ListRequest` (`ListRequest.of(message, collection)`) and
validates it with `plan_list(collection, request, codec)` before any store is
called, so every argument error is an INVALID_ARGUMENT naming its field
(filter, order_by, page_size, page_token, skip) whatever the store would have
found. A store only translates the plan (runyard.aip.sql does it for SQL):
`plan.filter` (checked tree), `plan.order`, `plan.cursor` (sort-key values to
seek past), `plan.limit` and `plan.offset`, then `plan.page(rows)` trims the
rows and signs the next page token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from google.protobuf.message import Message

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering import Checked, Schema, check_filter
from runyard.aip.ordering import OrderBy, OrderField, parse_order_by
from runyard.aip.pagination import PageTokens, fingerprint, page_size

# Request fields that choose a slice of the result, not the result: a page token
# stays valid when they change (a next page may be smaller, skip more, or count).
PAGING_FIELDS = ("page_size", "page_token", "skip", "show_total_size")


@dataclass(frozen=True)
class Collection:
    """What a collection allows: its filter schema, sortable fields, default
    order, unique tiebreaker (fields that make the order total), page sizes,
    the largest `skip`, and `options`: the request fields beyond the AIP ones
    that change which rows are listed (e.g. show_deleted), handed to the store
    in plan.options. `name` is part of every token's fingerprint, so a token of
    one collection is refused by another."""

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
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListRequest:
    """The list parameters as the caller sent them. A page token is bound to
    `binding` (the request's other fields, serialized) when set, otherwise to
    parent, filter, order and options; page_size, skip and show_total_size may
    change between pages."""

    parent: str
    filter: str = ""
    order_by: str = ""
    page_size: int = 0
    page_token: str = ""
    skip: int = 0
    show_total_size: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    binding: bytes = b""

    @classmethod
    def of(cls, message: Message, collection: Collection) -> ListRequest:
        """The parameters of a List request message (AIP-132 field names)."""
        names = message.DESCRIPTOR.fields_by_name
        rest = type(message)()
        rest.CopyFrom(message)
        for name in PAGING_FIELDS:
            if name in names:
                rest.ClearField(name)
        get = message.__getattribute__
        return cls(
            parent=get("parent") if "parent" in names else "",
            filter=get("filter") if "filter" in names else "",
            order_by=get("order_by") if "order_by" in names else "",
            page_size=get("page_size"),
            page_token=get("page_token"),
            skip=get("skip") if "skip" in names else 0,
            show_total_size=get("show_total_size") if "show_total_size" in names else False,
            options={name: get(name) for name in collection.options},
            binding=rest.SerializeToString(deterministic=True),
        )


@dataclass(frozen=True)
class ListPlan:
    """One page of a collection, validated: what a store has to translate."""

    collection: Collection
    parent: str
    page_size: int
    offset: int
    order: OrderBy
    filter_text: str  # the filter as sent, stripped (a store may key compiled forms on it)
    filter: Checked | None  # None: no filter
    cursor: tuple[Any, ...] | None  # sort keys of the last row seen; None on the first page
    show_total_size: bool
    options: Mapping[str, Any]
    fingerprint: str
    codec: PageTokens

    @property
    def limit(self) -> int:
        # One row more than the page tells whether another page follows.
        return self.page_size + 1

    def option(self, name: str) -> Any:
        """A collection option's value (KeyError for one the collection does not declare)."""
        return self.options[name]

    def page(self, rows: Sequence[Sequence[Any]]) -> tuple[list[Any], str]:
        """(the page's rows, next_page_token) from up to `limit` rows, each with
        the stored message first and the order's sort keys last. The token
        comes from the last row kept (the page_size-th, or an earlier one where
        max_page_bytes ran out) and is empty when no row follows it."""
        kept = list(rows[: self.page_size])
        budget = self.collection.max_page_bytes
        for i, row in enumerate(kept):
            first = row[0]
            budget -= len(first) if isinstance(first, (bytes, str)) else 0
            if budget < 0 and i > 0:
                kept = kept[:i]
                break
        else:
            if len(rows) <= self.page_size:
                return kept, ""
        arity = len(self.order.terms)
        values = list(kept[-1][len(kept[-1]) - arity :])
        return kept, self.codec.encode(self.fingerprint, values)


def plan_list(collection: Collection, request: ListRequest, codec: PageTokens) -> ListPlan:
    """Validates `request` against `collection`: INVALID_ARGUMENT on the first
    field that is wrong, in the order page_size, skip, order_by, filter, page_token."""
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
    text = request.filter.strip()
    checked = check_filter(request.filter, collection.schema)
    options = {name: request.options.get(name) for name in collection.options}
    bound: tuple[str, ...] = (request.binding.hex(),)
    if not request.binding:
        bound = (request.parent, text, *(f"{k}={v!r}" for k, v in sorted(options.items())))
    request_fp = fingerprint(collection.name, order.normalized, *bound)
    cursor = None
    if request.page_token:
        cursor = tuple(codec.decode(request.page_token, request_fp, len(order.terms)))
    return ListPlan(
        collection=collection,
        parent=request.parent,
        page_size=size,
        offset=request.skip,
        order=order,
        filter_text=text,
        filter=checked,
        cursor=cursor,
        show_total_size=request.show_total_size,
        options=MappingProxyType(options),
        fingerprint=request_fp,
        codec=codec,
    )
