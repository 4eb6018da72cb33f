"""AIP-160 filtering, one module per step:

- parser.parse(text) → the syntax tree of ast.py (None for an empty filter);
- checker.check(tree, schema) → a checked tree: fields resolved against the
  Schema (schema.py), literals converted to their stored form;
- compiler.compile_checked(checked, schema) → a SQLAlchemy condition;
- evaluator.evaluate(tree, schema, row) → the same meaning over a Python row
  (the reference the differential test holds the SQL to).

`compile_filter(text, schema)` does all of it and is the one call a store needs.
docs/filtering.md describes the language, the semantics and the limits."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering.checker import FilterTypeError, check
from runyard.aip.filtering.compiler import compile_checked
from runyard.aip.filtering.parser import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, FilterSyntaxError, parse
from runyard.aip.filtering.schema import Field, FieldType, Schema

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Field",
    "FieldType",
    "FilterSyntaxError",
    "FilterTypeError",
    "Schema",
    "check",
    "compile_checked",
    "compile_filter",
    "parse",
]


# Compiled conditions of recent filters: a list page asks the same filter again
# and again (every page of a walk, every poll of a dashboard), and parsing,
# checking and compiling it cost a quarter of a store call. SQLAlchemy
# conditions are immutable, so one can serve many statements and threads.
CACHE_SIZE = 1024
_compiled: dict[tuple[int, str], tuple[Schema, ColumnElement[bool] | None]] = {}


def compile_filter(
    text: str, schema: Schema, field_path: str = "filter"
) -> ColumnElement[bool] | None:
    """The SQL condition of an AIP-160 filter, None when it is empty, or
    INVALID_ARGUMENT (reason INVALID_FILTER, the position in metadata)."""
    key = (id(schema), text)
    hit = _compiled.get(key)
    if hit is not None and hit[0] is schema:  # the id of a schema since collected
        return hit[1]
    try:
        tree = parse(text)
        condition = None if tree is None else compile_checked(check(tree, schema), schema)
    except (FilterSyntaxError, FilterTypeError) as exc:
        raise invalid_argument(
            field_path, str(exc), "INVALID_FILTER", position=str(exc.pos)
        ) from None
    if len(_compiled) >= CACHE_SIZE:
        _compiled.clear()
    _compiled[key] = (schema, condition)
    return condition
