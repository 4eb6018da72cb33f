"""AIP-160 filtering: parse (parser) → check against a Schema and compile to
SQLAlchemy (compiler). `compile_filter` is the one call a store needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from runyard.aip.errors import invalid_argument
from runyard.aip.filtering.compiler import FilterTypeError, compile_expr
from runyard.aip.filtering.parser import MAX_DEPTH, MAX_LENGTH, MAX_TERMS, FilterSyntaxError, parse
from runyard.aip.filtering.schema import Field, FieldType, Schema

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "Field",
    "FieldType",
    "Schema",
    "compile_filter",
    "parse",
]


def compile_filter(
    text: str, schema: Schema, field_path: str = "filter"
) -> ColumnElement[Any] | None:
    """The SQL condition of an AIP-160 filter, None when it is empty, or
    INVALID_ARGUMENT (reason INVALID_FILTER, the position in metadata)."""
    try:
        tree = parse(text)
        return None if tree is None else compile_expr(tree, schema)
    except (FilterSyntaxError, FilterTypeError) as exc:
        raise invalid_argument(
            field_path, str(exc), "INVALID_FILTER", position=str(exc.pos)
        ) from None
