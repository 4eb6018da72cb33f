"""AIP-132 order_by: `field [asc|desc], …` over a per-collection whitelist,
always completed with a unique tiebreaker so the order is total (keyset paging
needs that)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runyard.aip.errors import invalid_argument

_TERM = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)(?:\s+(asc|desc))?$")
MAX_TERMS = 8
# Unset values of a nullable key sort as this value: before any real one ascending.
NULL_SENTINEL = -1


@dataclass(frozen=True)
class OrderField:
    """A sortable field; `key` names its stored value (the name when empty). A
    nullable (message) field sorts unset values as NULL_SENTINEL, so they come
    first ascending and last descending, on every store."""

    name: str
    key: str = ""
    nullable: bool = False

    @property
    def stored(self) -> str:
        return self.key or self.name


@dataclass(frozen=True)
class OrderBy:
    """A parsed order_by, tiebreaker included: `normalized` is its canonical text
    (part of a page token's fingerprint)."""

    terms: tuple[tuple[OrderField, bool], ...]  # (field, descending)

    @property
    def normalized(self) -> str:
        return ", ".join(f"{f.name} {'desc' if d else 'asc'}" for f, d in self.terms)


def parse_order_by(
    text: str,
    fields: Mapping[str, OrderField],
    default: str,
    tiebreaker: Sequence[OrderField],
    field_path: str = "order_by",
) -> OrderBy:
    """Parses `text` (or `default` when empty); INVALID_ARGUMENT on unknown fields."""
    source = text.strip() or default
    terms: list[tuple[OrderField, bool]] = []
    seen: set[str] = set()
    parts = [p.strip() for p in source.split(",")]
    if len(parts) > MAX_TERMS:
        raise invalid_argument(field_path, f"at most {MAX_TERMS} fields", "INVALID_ORDER_BY")
    for part in parts:
        match = _TERM.match(re.sub(r"\s+", " ", part))
        if not match:
            raise invalid_argument(
                field_path, f"{part!r} is not `field` or `field desc`", "INVALID_ORDER_BY"
            )
        name, direction = match.group(1), match.group(2)
        if name not in fields:
            known = ", ".join(sorted(fields))
            raise invalid_argument(
                field_path,
                f"cannot order by {name!r}; sortable fields: {known}",
                "INVALID_ORDER_BY",
            )
        if name in seen:
            raise invalid_argument(field_path, f"{name!r} appears twice", "INVALID_ORDER_BY")
        seen.add(name)
        terms.append((fields[name], direction == "desc"))
    last_desc = terms[-1][1]
    for tie in tiebreaker:
        if tie.name not in seen:
            # The tiebreaker follows the last term's direction, so an all-desc order
            # stays all-desc and can use one row-value comparison and one index.
            terms.append((tie, last_desc))
    return OrderBy(tuple(terms))
