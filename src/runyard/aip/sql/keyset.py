"""ORDER BY and the keyset predicate of a parsed order_by (runyard.aip.ordering)
on a table's columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, tuple_

from runyard.aip.ordering import NULL_SENTINEL, OrderBy, OrderField
from runyard.aip.sql.columns import Columns


def sort_key(order_field: OrderField, columns: Columns) -> ColumnElement[Any]:
    """The column a field sorts by; a nullable one as COALESCE(col, -1), so unset
    values come first ascending and last descending on both databases."""
    column = columns[order_field.stored]
    if order_field.nullable:
        return func.coalesce(column, literal(NULL_SENTINEL))
    return column


def order_clauses(order: OrderBy, columns: Columns) -> list[ColumnElement[Any]]:
    keys = (sort_key(f, columns) for f, _ in order.terms)
    return [k.desc() if d else k.asc() for k, (_, d) in zip(keys, order.terms, strict=True)]


def after(order: OrderBy, values: Sequence[Any], columns: Columns) -> ColumnElement[bool]:
    """Rows strictly after the cursor `values` in `order` (the keyset predicate)."""
    keys = [sort_key(f, columns) for f, _ in order.terms]
    directions = {desc for _, desc in order.terms}
    if len(directions) == 1:
        # One row-value comparison, plus the same bound on the first key alone:
        # SQLite ranges an index on that bound, also when the key is an expression
        # (COALESCE) where it would not range on the row value.
        if directions == {True}:
            return and_(keys[0] <= values[0], tuple_(*keys) < tuple_(*values))
        return and_(keys[0] >= values[0], tuple_(*keys) > tuple_(*values))
    # Mixed directions: the lexicographic expansion, again behind a bound on the
    # first key so that an index is ranged from the cursor's group onwards.
    clauses = []
    for i, ((_field, desc), key) in enumerate(zip(order.terms, keys, strict=True)):
        equal = [keys[j] == values[j] for j in range(i)]
        step = key < values[i] if desc else key > values[i]
        clauses.append(and_(*equal, step))
    first = keys[0] <= values[0] if order.terms[0][1] else keys[0] >= values[0]
    return and_(first, or_(*clauses))
