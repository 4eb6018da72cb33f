"""Checks a filter's syntax tree against a Schema and gives it meaning: the
checked tree names schema fields and holds literals already converted to their
stored form (enum numbers, epoch microseconds, stored ids). The compiler turns
it into SQL and the evaluator runs it over Python rows, so both see exactly
the same checks and values.

Rejected (FilterTypeError, with the position): unknown fields (a dotted name
such as `failure.message` is tried whole first, then as traversal), traversal
into a non-map field, functions, a composite on the right-hand side, literals
of the wrong type, unknown enum names (case-sensitive), `<` `<=` `>` `>=` on
enums and bools, `*` inside a value, wildcards with an ordering comparator,
`labels:*` and bare words in a collection without text fields.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runyard.aip.filtering.ast import And, Call, Expr, Member, Not, Or, Restriction
from runyard.aip.filtering.schema import Field, FieldType, Schema

ORDERED = frozenset({"<", "<=", ">", ">="})
_DURATION = re.compile(r"^(-?\d+(?:\.\d{1,9})?)s$")
_INT = re.compile(r"^-?\d+$")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


class FilterTypeError(ValueError):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} (at position {pos})")
        self.description = message
        self.pos = pos


# --- the checked tree ---------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """`field op value` with `value` in stored form; op is = != < <= > >=."""

    field: Field
    op: str
    value: Any


@dataclass(frozen=True)
class Wildcard:
    """`field = "pre*"`, `"*suf"` or `"*mid*"` (negate for `!=`); case-sensitive."""

    field: Field
    core: str
    prefix: bool  # a trailing `*`: the value starts with core
    suffix: bool  # a leading `*`: the value ends with core
    negate: bool


@dataclass(frozen=True)
class Present:
    """`field:*`: set, and not its default value."""

    field: Field


@dataclass(frozen=True)
class HasKey:
    """`labels:key` or `labels.key:*`."""

    field: Field
    key: str


@dataclass(frozen=True)
class MapEntry:
    """`labels.key op "value"`: the key is present and its value matches `test`,
    whose field is the map (the compiler and evaluator read the entry)."""

    field: Field
    key: str
    test: Compare | Wildcard


@dataclass(frozen=True)
class TextSearch:
    """A bare word or phrase: some text field contains `needle` (ASCII case folded)."""

    needle: str


@dataclass(frozen=True)
class AllOf:
    items: tuple[Checked, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Checked, ...]


@dataclass(frozen=True)
class Negation:
    item: Checked


Checked = Compare | Wildcard | Present | HasKey | MapEntry | TextSearch | AllOf | AnyOf | Negation


def check(tree: Expr, schema: Schema) -> Checked:
    """The checked tree of `tree`; FilterTypeError on anything `schema` does not allow."""
    if isinstance(tree, And):
        return AllOf(tuple(check(e, schema) for e in tree.items))
    if isinstance(tree, Or):
        return AnyOf(tuple(check(e, schema) for e in tree.items))
    if isinstance(tree, Not):
        return Negation(check(tree.expr, schema))
    return _restriction(tree, schema)


# --- restrictions ---------------------------------------------------------------


def _restriction(r: Restriction, schema: Schema) -> Checked:
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
        return Present(fld)
    op = "=" if r.op == ":" else r.op
    if op in ORDERED and fld.type in (FieldType.ENUM, FieldType.BOOL):
        raise FilterTypeError(f"{op} is not defined for the {fld.type.value} field {head!r}", r.pos)
    if fld.type in (FieldType.STRING, FieldType.RESOURCE_NAME):
        return _string(fld, op, _text(arg), arg.pos)
    return Compare(fld, op, _literal(fld, arg))


def _text(arg: Member) -> str:
    """The literal as written: a quoted string, or a word with its dots (`com.google`)."""
    return arg.value.text if arg.value.quoted else ".".join((arg.value.text, *arg.fields))


def _literal(fld: Field, arg: Member) -> Any:
    text = _text(arg)
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
        return timestamp_micros(fld.name, text, pos)
    if t is FieldType.DURATION:
        match = _DURATION.match(text)
        if not match:
            raise FilterTypeError(
                f"{fld.name} takes a duration like 30s or 1.5s, not {text!r}", pos
            )
        whole, _, frac = match.group(1).partition(".")
        # Microseconds, truncated like the stored values.
        micros = abs(int(whole)) * 1_000_000 + int((frac + "000000")[:6])
        if micros >= 2**63:
            raise FilterTypeError(f"{fld.name}: {text} is too long a duration", pos)
        return -micros if whole.startswith("-") else micros
    raise FilterTypeError(f"{fld.name} cannot be compared", pos)  # pragma: no cover


def timestamp_micros(name: str, text: str, pos: int) -> int:
    """UTC epoch microseconds of a strict RFC 3339 timestamp (zone required)."""
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
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_ESCAPED = re.compile(r"\\([\\*])")


def unescape(text: str) -> str:
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


def _string(fld: Field, op: str, text: str, pos: int) -> Compare | Wildcard:
    suffix, core, prefix = _wildcards(text, pos)
    if prefix or suffix:
        if op not in ("=", "!="):
            raise FilterTypeError("wildcards work only with = and !=", pos)
        return Wildcard(fld, core, prefix, suffix, op == "!=")
    if fld.convert is not None:
        try:
            core = fld.convert(core)
        except ValueError as exc:
            raise FilterTypeError(f"{fld.name}: {exc}", pos) from None
    return Compare(fld, op, core)


def _map(fld: Field, rest: list[str], op: str, arg: Member, pos: int) -> Checked:
    text = _text(arg)
    if not rest:
        if op != ":" or (text == "*" and not arg.value.quoted):
            raise FilterTypeError(
                f"use {fld.name}:KEY, {fld.name}.KEY:* or {fld.name}.KEY {op} VALUE", pos
            )
        return HasKey(fld, unescape(text))
    if len(rest) > 1:
        raise FilterTypeError(f"{fld.name} values have no fields", pos)
    key = unescape(rest[0])
    if op == ":" and text == "*":
        return HasKey(fld, key)
    op = "=" if op == ":" else op
    entry = Field(f"{fld.name}.{key}", FieldType.STRING, fld.stored)
    return MapEntry(fld, key, _string(entry, op, text, pos))


def _text_search(comp: Member, schema: Schema) -> TextSearch:
    word = comp.value.text if comp.value.quoted else comp.path
    if not schema.text_fields:
        raise FilterTypeError(
            f"{word!r} is not a restriction (field OP value); this collection has no text search",
            comp.pos,
        )
    return TextSearch(ascii_lower(unescape(word)))


def ascii_lower(text: str) -> str:
    """Only A-Z folded, as SQL lower() does on SQLite and under COLLATE "C"."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
