"""Evaluates a filter's syntax tree over one row held in Python, with the same
meaning as the SQL the compiler produces: SQL's three-valued logic, where None
is UNKNOWN (an unset field), AND/OR/NOT propagate it, and a row matches only
when the result is True.

A row maps each field name of the schema to its stored value: str for strings
and resource names (stored form), int for ints, enums, timestamps (UTC epoch
microseconds) and durations (microseconds), float, bool, dict[str, str] for
maps, and None for an unset nullable field. A field missing from the row, and
a text-search column, are read from `row[column.name]`.

The checks (unknown fields, wrong literals, operators a type does not have)
raise the same FilterTypeError as the compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction
from runyard.aip.filtering.compiler import (
    ORDERED,
    FilterTypeError,
    _convert,
    _literal,
    _unescape,
    _wildcards,
)
from runyard.aip.filtering.schema import Field, FieldType, Schema

Truth = bool | None


def evaluate(tree: Expr, schema: Schema, row: Mapping[str, Any]) -> Truth:
    """True, False or None (UNKNOWN) for `row`; a row matches only on True."""
    if isinstance(tree, And):
        return _and(evaluate(e, schema, row) for e in tree.items)
    if isinstance(tree, Or):
        return _or(evaluate(e, schema, row) for e in tree.items)
    if isinstance(tree, Not):
        return _not(evaluate(tree.expr, schema, row))
    return _restriction(tree, schema, row)


def matches(tree: Expr | None, schema: Schema, row: Mapping[str, Any]) -> bool:
    """Whether `row` is in the result of the filter (an empty filter keeps every row)."""
    return tree is None or evaluate(tree, schema, row) is True


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
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[op](value, literal)


def _restriction(r: Restriction, schema: Schema, row: Mapping[str, Any]) -> Truth:
    comp = r.comparable
    if isinstance(comp, Call):
        raise FilterTypeError(f"function {comp.name}() is not supported", comp.pos)
    if r.op is None:
        return _text_search(comp, schema, row)
    if comp.value.quoted and not comp.fields:
        parts = comp.value.text.split(".")
    else:
        parts = [comp.value.text, *comp.fields]
    path = ".".join(parts)
    head, rest = (path, []) if path in schema.fields else (parts[0], parts[1:])
    fld = schema.fields.get(head)
    if fld is None:
        raise FilterTypeError(f"unknown field {path!r}", comp.pos)
    arg = r.arg
    if not isinstance(arg, Member):
        raise FilterTypeError("the right-hand side must be a literal value", r.pos)
    value = row[fld.name] if fld.name in row else row[getattr(fld.column, "name", "")]
    if fld.type is FieldType.MAP:
        return _map(fld, value, rest, r.op, arg, r.pos)
    if rest:
        raise FilterTypeError(f"{head!r} has no field {'.'.join(rest)!r}", comp.pos)
    if r.op == ":" and arg.value.text == "*" and not arg.fields:
        return _present(fld, value)
    op = "=" if r.op == ":" else r.op
    if op in ORDERED and fld.type in (FieldType.ENUM, FieldType.BOOL):
        raise FilterTypeError(f"{op} is not defined for the {fld.type.value} field {head!r}", r.pos)
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return _string(fld, value, op, arg, r.pos)
    return _compare(value, op, _literal(fld, arg))


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


def _string(fld: Field, value: str | None, op: str, arg: Member, pos: int) -> Truth:
    text = arg.value.text if arg.value.quoted else ".".join((arg.value.text, *arg.fields))
    suffix, core, prefix = _wildcards(text, pos)
    if prefix or suffix:
        if op not in ("=", "!="):
            raise FilterTypeError("wildcards work only with = and !=", pos)
        if value is None:
            return None
        if prefix and suffix:
            matched = core in value
        elif prefix:
            matched = value.startswith(core)
        else:
            matched = value.endswith(core)
        return matched if op == "=" else not matched
    if fld.convert is not None:
        core = _convert(fld, core, pos)
    return _compare(value, op, core)


def _map(
    fld: Field, value: Mapping[str, str] | None, rest: list[str], op: str, arg: Member, pos: int
) -> Truth:
    text = arg.value.text if arg.value.quoted else ".".join((arg.value.text, *arg.fields))
    if not rest:
        if op != ":" or (text == "*" and not arg.value.quoted):
            raise FilterTypeError(f"use {fld.name}:KEY or {fld.name}.KEY {op} VALUE", pos)
        return value is not None and _unescape(text) in value
    if len(rest) > 1:
        raise FilterTypeError(f"{fld.name} values have no fields", pos)
    key = _unescape(rest[0])
    if op == ":" and text == "*":
        return value is not None and key in value
    op = "=" if op == ":" else op
    entry = Field(f"{fld.name}.{key}", FieldType.STRING, fld.column)
    if value is None or key not in value:
        # The compiler's `entry IS NOT NULL AND …`: FALSE (so NOT matches), after
        # checking the literal all the same.
        _string(entry, None, op, arg, pos)
        return False
    return _string(entry, value[key], op, arg, pos)


def _ascii_lower(text: str) -> str:
    # SQLite's lower() and PostgreSQL's under the C locale change ASCII letters only.
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def _text_search(comp: Member, schema: Schema, row: Mapping[str, Any]) -> Truth:
    word = comp.value.text if comp.value.quoted else comp.path
    if not schema.text_fields:
        raise FilterTypeError(f"{word!r} is not a restriction (field OP value)", comp.pos)
    needle = _unescape(word).lower()
    if not needle:
        return False
    values = (row[getattr(col, "name", "")] for col in schema.text_fields)
    return _or(None if v is None else needle in _ascii_lower(v) for v in values)
