"""Evaluates a filter's syntax tree over one row held in Python, with the same
meaning as the SQL the compiler produces: SQL's three-valued logic, where None
is UNKNOWN (an unset field), AND/OR/NOT propagate it, and a row matches only
when the result is True.

A row maps each field name of the schema to its stored value: str for strings
and resource names (stored form), int for ints, enums, timestamps (UTC epoch
microseconds) and durations (microseconds), float, bool, dict[str, str] for
maps, and None for an unset nullable field. A field missing from the row, and
a text-search field, are read from `row[storage key]`.

It runs the same checked tree (checker.py) as the compiler, so the checks and
the literals' stored values are shared; only the meaning is written twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from runyard.aip.filtering.ast import Expr
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
    ascii_lower,
    check,
)
from runyard.aip.filtering.schema import Field, FieldType, Schema

Truth = bool | None


def evaluate(tree: Expr, schema: Schema, row: Mapping[str, Any]) -> Truth:
    """True, False or None (UNKNOWN) for `row`; a row matches only on True.
    FilterTypeError when the filter does not fit the schema."""
    return evaluate_checked(check(tree, schema), schema, row)


def matches(tree: Expr | None, schema: Schema, row: Mapping[str, Any]) -> bool:
    """Whether `row` is in the result of the filter (an empty filter keeps every row)."""
    return tree is None or evaluate(tree, schema, row) is True


def evaluate_checked(node: Checked, schema: Schema, row: Mapping[str, Any]) -> Truth:
    match node:
        case AllOf(items):
            return _and(evaluate_checked(e, schema, row) for e in items)
        case AnyOf(items):
            return _or(evaluate_checked(e, schema, row) for e in items)
        case Negation(item):
            return _not(evaluate_checked(item, schema, row))
        case Compare(fld, op, value):
            return _compare(_read(fld, row), op, value)
        case Wildcard():
            return _wildcard(_read(node.field, row), node)
        case Present(fld):
            return _present(fld, _read(fld, row))
        case HasKey(fld, key):
            entries = _read(fld, row)
            return entries is not None and key in entries
        case MapEntry(fld, key, test):
            entries = _read(fld, row)
            if entries is None or key not in entries:
                # The compiler's `entry IS NOT NULL AND …`: FALSE, so NOT matches.
                return False
            if isinstance(test, Compare):
                return _compare(entries[key], test.op, test.value)
            return _wildcard(entries[key], test)
        case TextSearch(needle):
            return _text_search(needle, schema, row)
    raise TypeError(node)  # pragma: no cover


def _read(fld: Field, row: Mapping[str, Any]) -> Any:
    return row[fld.name] if fld.name in row else row[fld.stored]


def _and(values: Iterable[Truth]) -> Truth:
    result: Truth = True
    for value in list(values):
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _or(values: Iterable[Truth]) -> Truth:
    result: Truth = False
    for value in list(values):
        if value is True:
            return True
        if value is None:
            result = None
    return result


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _compare(value: Any, op: str, literal: Any) -> Truth:
    if value is None:
        return None
    match op:
        case "=":
            return bool(value == literal)
        case "!=":
            return bool(value != literal)
        case "<":
            return bool(value < literal)
        case "<=":
            return bool(value <= literal)
        case ">":
            return bool(value > literal)
        case _:
            return bool(value >= literal)


def _present(fld: Field, value: Any) -> Truth:
    if fld.nullable:
        return value is not None
    if value is None:
        return None
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return bool(value != "")
    if fld.type is FieldType.BOOL:
        return value is True
    return bool(value != 0)


def _wildcard(value: str | None, w: Wildcard) -> Truth:
    if value is None:
        return None
    if w.prefix and w.suffix:
        matched = w.core in value
    elif w.prefix:
        matched = value.startswith(w.core)
    else:
        matched = value.endswith(w.core)
    return matched != w.negate


def _text_search(needle: str, schema: Schema, row: Mapping[str, Any]) -> Truth:
    if not needle:
        return False
    values = (row[key] for key in schema.text_fields)
    return _or(None if v is None else needle in ascii_lower(v) for v in values)
