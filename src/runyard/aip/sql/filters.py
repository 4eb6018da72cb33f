"""Compiles a checked filter (runyard.aip.filtering) to a SQLAlchemy boolean
expression over `columns`, which map each field's storage key to a column.
Every literal becomes a bound parameter; identifiers come only from those
columns, so nothing the caller writes reaches SQL text.

Semantics (the same on SQLite and PostgreSQL):
- `=` and `!=` on strings are exact and case-sensitive; a leading and/or
  trailing `*` in a quoted string is a wildcard (prefix, suffix, contains);
  `\\*` is a literal star; a `*` elsewhere is an error.
- `<` `<=` `>` `>=` work on strings (lexical), numbers, timestamps and durations;
  not on enums or bools.
- `field:value` on a scalar is `field = value`; `field:*` tests presence (set
  and not the default value).
- `labels.key = "v"`, `labels.key:*` and `labels:key` query map entries.
- A bare word or quoted phrase searches the schema's text fields: substring,
  case-insensitive for ASCII letters.
- A message field that is unset (NULL) never matches, even under `!=` or NOT,
  following SQL's three-valued logic, as AIP-160 asks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal, not_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from runyard.aip.filtering.checker import (
    AllOf,
    AnyOf,
    Checked,
    Compare,
    HasKey,
    MapEntry,
    Negation,
    Present,
    TextSearch,
    Wildcard,
)
from runyard.aip.filtering.schema import Field, FieldType, Schema
from runyard.aip.sql.columns import Columns

__all__ = ["compile_checked"]


def compile_checked(node: Checked, schema: Schema, columns: Columns) -> ColumnElement[bool]:
    """The condition of `node` (checked against `schema`) on `columns`."""
    match node:
        case AllOf(items):
            return and_(*(compile_checked(e, schema, columns) for e in items))
        case AnyOf(items):
            return or_(*(compile_checked(e, schema, columns) for e in items))
        case Negation(item):
            return not_(compile_checked(item, schema, columns))
        case Compare(fld, op, value):
            return _compare(columns[fld.stored], op, value)
        case Wildcard():
            return _wildcard(columns[node.field.stored], node)
        case Present(fld):
            return _present(fld, columns[fld.stored])
        case HasKey(fld, key):
            return columns[fld.stored][key].as_string().is_not(None)
        case MapEntry(fld, key, test):
            entry = columns[fld.stored][key].as_string()
            inner = (
                _compare(entry, test.op, test.value)
                if isinstance(test, Compare)
                else _wildcard(entry, test)
            )
            # FALSE, not UNKNOWN, for an absent key, so `NOT labels.k = "x"` keeps it.
            return and_(entry.is_not(None), inner)
        case TextSearch(needle):
            return _text_search(needle, [columns[k] for k in schema.text_fields])
    raise TypeError(node)  # pragma: no cover


class codepoints(FunctionElement[str]):
    """A string compared and case-folded by code point: as SQLite always does,
    and as PostgreSQL does under COLLATE "C" whatever the database's locale
    (where `<` and lower() would otherwise follow the locale)."""

    type = String()
    inherit_cache = True


@compiles(codepoints)
def _codepoints(element: codepoints, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(codepoints, "postgresql")
def _codepoints_pg(element: codepoints, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def _compare(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    if isinstance(value, str) and op not in ("=", "!="):
        column = codepoints(column)
    match op:
        case "=":
            return column == value
        case "!=":
            return column != value
        case "<":
            return column < value
        case "<=":
            return column <= value
        case ">":
            return column > value
        case _:
            return column >= value


def _present(fld: Field, col: ColumnElement[Any]) -> ColumnElement[bool]:
    if fld.nullable:
        return col.is_not(None)
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return col != ""
    if fld.type is FieldType.BOOL:
        return col.is_(True)
    return col != 0


def _wildcard(col: ColumnElement[Any], w: Wildcard) -> ColumnElement[bool]:
    # LIKE is case-insensitive on SQLite and sensitive on PostgreSQL; these
    # forms are case-sensitive on both, and % and _ are ordinary characters.
    core, n = w.core, len(w.core)
    if not core:
        # Any value; UNKNOWN (no match) when unset.
        matched = func.length(col) >= 0
    elif w.prefix and w.suffix:
        matched = func.replace(col, literal(core, String), "") != col
    elif w.prefix:
        matched = func.substr(col, 1, n) == core
    else:
        matched = func.substr(col, func.length(col) - n + 1) == core
    # NOT keeps an unset (NULL) value UNKNOWN, so `!=` never matches it either.
    return not_(matched) if w.negate else matched


def _lower(col: ColumnElement[Any]) -> ColumnElement[str]:
    # ASCII letters only on both databases (the needle is folded the same way).
    return func.lower(codepoints(col))


def _text_search(needle: str, fields: list[ColumnElement[Any]]) -> ColumnElement[bool]:
    if not needle:
        return false()
    return or_(
        *(func.replace(_lower(col), literal(needle, String), "") != _lower(col) for col in fields)
    )
