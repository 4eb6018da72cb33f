"""The SQL adapter of runyard.aip: a checked filter compiled to a SQLAlchemy
condition (filters.py), ORDER BY and the keyset predicate of a parsed order
(keyset.py), and a validated ListPlan run as a SELECT (listing.py). The AIP
core (filtering, ordering, pagination, listing) knows nothing of SQL; this
package is the only place where it meets SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from runyard.aip.filtering import Checked, Schema, check_filter
from runyard.aip.sql.columns import Columns
from runyard.aip.sql.filters import compile_checked

__all__ = ["Columns", "compile_checked", "compile_filter", "compile_plan_filter"]

# Compiled conditions of recent filters: parsing, checking and compiling a
# filter cost a quarter of a list page's store call, and a page asks the same
# filter again and again. SQLAlchemy conditions are immutable, so one serves
# many statements and threads.
CACHE_SIZE = 1024
_compiled: dict[tuple[int, int, str], tuple[Schema, Columns, ColumnElement[bool] | None]] = {}


def compile_plan_filter(
    schema: Schema, text: str, checked: Checked | None, columns: Columns
) -> ColumnElement[bool] | None:
    """The condition of `checked` (the checked form of filter `text`) on `columns`."""
    key = (id(schema), id(columns), text)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is schema and hit[1] is columns:
        return hit[2]
    condition = None if checked is None else compile_checked(checked, schema, columns)
    if len(_compiled) >= CACHE_SIZE:
        _compiled.clear()
    _compiled[key] = (schema, columns, condition)
    return condition


def compile_filter(
    text: str, schema: Schema, columns: Columns, field_path: str = "filter"
) -> ColumnElement[bool] | None:
    """The SQL condition of an AIP-160 filter on `columns`, None when it is
    empty, or INVALID_ARGUMENT (reason INVALID_FILTER)."""
    checked = check_filter(text, schema, field_path)
    return compile_plan_filter(schema, text, checked, columns)
