"""Checks a filter's syntax tree against a Schema and compiles it to a SQLAlchemy
boolean expression. Every literal becomes a bound parameter; identifiers come
only from the schema's columns, so nothing the caller writes reaches SQL text.

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

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, literal, not_, or_
from sqlalchemy.types import String

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction
from runyard.aip.filtering.schema import Field, FieldType, Schema

ORDERED = {"<", "<=", ">", ">="}
_DURATION = re.compile(r"^(-?\d+(?:\.\d{1,9})?)s$")
_INT = re.compile(r"^-?\d+$")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


class FilterTypeError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} (at position {pos})")
        self.description = message
        self.pos = pos


def compile_expr(expr: Expr, schema: Schema) -> ColumnElement[bool]:
    if isinstance(expr, And):
        return and_(*(compile_expr(e, schema) for e in expr.items))
    if isinstance(expr, Or):
        return or_(*(compile_expr(e, schema) for e in expr.items))
    if isinstance(expr, Not):
        return not_(compile_expr(expr.expr, schema))
    return _restriction(expr, schema)


def _restriction(r: Restriction, schema: Schema) -> ColumnElement[bool]:
    comp = r.comparable
    if isinstance(comp, Call):
        raise FilterTypeError(f"function {comp.name}() is not supported", comp.pos)
    if r.op is None:
        return _text_search(comp, schema)
    if comp.value.quoted and not comp.fields:
        parts = comp.value.text.split(".")
    else:
        parts = [comp.value.text, *comp.fields]
    path = ".".join(parts)
    # A dotted field name (`failure.message`) first, then a traversal (`labels.key`).
    head, rest = (path, []) if path in schema.fields else (parts[0], parts[1:])
    fld = schema.fields.get(head)
    if fld is None:
        known = ", ".join(sorted(schema.fields))
        raise FilterTypeError(f"unknown field {path!r}; filterable fields: {known}", comp.pos)
    arg = r.arg
    if not isinstance(arg, Member):
        raise FilterTypeError("the right-hand side must be a literal value", r.pos)
    if fld.type is FieldType.MAP:
        return _map(fld, rest, r.op, arg, r.pos)
    if rest:
        raise FilterTypeError(f"{head!r} has no field {'.'.join(rest)!r}", comp.pos)
    if r.op == ":" and arg.value.text == "*" and not arg.fields:
        return _present(fld)
    op = "=" if r.op == ":" else r.op
    if op in ORDERED and fld.type in (FieldType.ENUM, FieldType.BOOL):
        raise FilterTypeError(f"{op} is not defined for the {fld.type.value} field {head!r}", r.pos)
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return _string(fld, op, arg, r.pos)
    value = _literal(fld, arg)
    return _compare(fld.column, op, value)


def _compare(column: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
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


def _present(fld: Field) -> ColumnElement[bool]:
    col = fld.column
    if fld.nullable:
        return col.is_not(None)
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return col != ""
    if fld.type is FieldType.BOOL:
        return col.is_(True)
    return col != 0


def _literal(fld: Field, arg: Member) -> Any:
    text = ".".join((arg.value.text, *arg.fields)) if not arg.value.quoted else arg.value.text
    pos = arg.pos
    t = fld.type
    if t is FieldType.INT:
        if not _INT.match(text) or abs(int(text)) >= 2**63:
            raise FilterTypeError(f"{fld.name} takes an integer, not {text!r}", pos)
        return int(text)
    if t is FieldType.FLOAT:
        try:
            number = float(text)
        except ValueError:
            raise FilterTypeError(f"{fld.name} takes a number, not {text!r}", pos) from None
        if not math.isfinite(number):
            raise FilterTypeError(f"{fld.name} takes a finite number", pos)
        return number
    if t is FieldType.BOOL:
        if text not in ("true", "false"):
            raise FilterTypeError(f"{fld.name} takes true or false, not {text!r}", pos)
        return text == "true"
    if t is FieldType.ENUM:
        if text not in fld.enum_values:
            names = ", ".join(n for n in fld.enum_values if not n.endswith("_UNSPECIFIED"))
            raise FilterTypeError(f"{text!r} is not a {fld.name}; one of: {names}", pos)
        return fld.enum_values[text]
    if t is FieldType.TIMESTAMP:
        return _timestamp(fld.name, text, pos)
    if t is FieldType.DURATION:
        match = _DURATION.match(text)
        if not match:
            raise FilterTypeError(
                f"{fld.name} takes a duration like 30s or 1.5s, not {text!r}", pos
            )
        whole, _, frac = match.group(1).partition(".")
        micros = abs(int(whole)) * 1_000_000 + int((frac + "000000")[:6])
        return -micros if whole.startswith("-") else micros
    raise FilterTypeError(f"{fld.name} cannot be compared", pos)  # pragma: no cover


def _timestamp(name: str, text: str, pos: int) -> int:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or not _RFC3339.fullmatch(text):
        raise FilterTypeError(
            f'{name} takes an RFC 3339 timestamp in quotes, like "2026-01-02T15:04:05Z", '
            f"not {text!r}",
            pos,
        )
    delta = parsed - datetime.fromisoformat("1970-01-01T00:00:00+00:00")
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_ESCAPED = re.compile(r"\\([\\*])")


def _unescape(text: str) -> str:
    """`\\*` → `*` and `\\\\` → `\\` (the parser keeps both escaped)."""
    return _ESCAPED.sub(r"\1", text)


def _wildcards(text: str, pos: int) -> tuple[bool, str, bool]:
    """(leading `*`, the unescaped rest, trailing `*`); an unescaped `*` elsewhere is an error."""
    units: list[str] = []  # "*" for a wildcard, otherwise one literal character
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 2] in ("*", "\\"):
            units.append("\\" + text[i + 1])
            i += 2
        else:
            units.append(text[i])
            i += 1
    suffix = bool(units) and units[0] == "*"
    prefix = len(units) > int(suffix) and units[-1] == "*"
    core = units[int(suffix) : len(units) - int(prefix)]
    if "*" in core:
        raise FilterTypeError("'*' is a wildcard only at the start or end of a value", pos)
    return suffix, "".join(u[-1] for u in core), prefix


def _string(fld: Field, op: str, arg: Member, pos: int) -> ColumnElement[bool]:
    text = arg.value.text if arg.value.quoted else ".".join((arg.value.text, *arg.fields))
    col = fld.column
    suffix, core, prefix = _wildcards(text, pos)
    if (prefix or suffix) and op in ("=", "!="):
        matched = _wildcard(col, core, prefix, suffix)
        # NOT keeps an unset (NULL) value UNKNOWN, so `!=` never matches it either.
        return matched if op == "=" else not_(matched)
    if prefix or suffix:
        raise FilterTypeError("wildcards work only with = and !=", pos)
    value = core
    if fld.convert is not None:
        value = _convert(fld, value, pos)
    return _compare(col, op, value)


def _convert(fld: Field, value: str, pos: int) -> str:
    assert fld.convert is not None
    try:
        return fld.convert(value)
    except ValueError as exc:
        raise FilterTypeError(f"{fld.name}: {exc}", pos) from None


def _wildcard(
    col: ColumnElement[Any], core: str, prefix: bool, suffix: bool
) -> ColumnElement[bool]:
    # LIKE is case-insensitive on SQLite and sensitive on PostgreSQL; these
    # forms are case-sensitive on both.
    n = len(core)
    if not core:
        # Any value; UNKNOWN (no match) when unset.
        return func.length(col) >= 0
    if prefix and suffix:
        return func.replace(col, literal(core, String), "") != col
    if prefix:
        return func.substr(col, 1, n) == core
    return func.substr(col, func.length(col) - n + 1) == core


def _map(fld: Field, rest: list[str], op: str, arg: Member, pos: int) -> ColumnElement[bool]:
    text = arg.value.text if arg.value.quoted else ".".join((arg.value.text, *arg.fields))
    if not rest:
        if op != ":" or (text == "*" and not arg.value.quoted):
            raise FilterTypeError(
                f"use {fld.name}:KEY, {fld.name}.KEY:* or {fld.name}.KEY {op} VALUE", pos
            )
        return fld.column[_unescape(text)].as_string().is_not(None)
    if len(rest) > 1:
        raise FilterTypeError(f"{fld.name} values have no fields", pos)
    entry = fld.column[_unescape(rest[0])].as_string()
    if op == ":" and text == "*":
        return entry.is_not(None)
    op = "=" if op == ":" else op
    string_field = Field(f"{fld.name}.{rest[0]}", FieldType.STRING, entry)
    return and_(entry.is_not(None), _string(string_field, op, arg, pos))


def _text_search(comp: Member, schema: Schema) -> ColumnElement[bool]:
    word = comp.value.text if comp.value.quoted else comp.path
    if not schema.text_fields:
        raise FilterTypeError(
            f"{word!r} is not a restriction (field OP value); this collection has no text search",
            comp.pos,
        )
    needle = _unescape(word).lower()
    if not needle:
        return false()
    return or_(
        *(
            func.replace(func.lower(col), literal(needle, String), "") != func.lower(col)
            for col in schema.text_fields
        )
    )
