"""The AIP-160 syntax tree: what a filter says, before any schema gives it meaning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    """A literal or a name as written: `text` is unquoted TEXT, `quoted` a STRING."""

    text: str
    quoted: bool
    pos: int


@dataclass(frozen=True)
class Member:
    """`a.b.c`: a value followed by field names (traversal)."""

    value: Value
    fields: tuple[str, ...]
    pos: int

    @property
    def path(self) -> str:
        return ".".join((self.value.text, *self.fields))


@dataclass(frozen=True)
class Call:
    """`name(args)`; parsed so the error can say functions are not supported."""

    name: str
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True)
class Restriction:
    """`comparable [comparator arg]`; `op` is None for a bare value (text search)."""

    comparable: Member | Call
    op: str | None
    arg: Member | Call | Expr | None
    pos: int


@dataclass(frozen=True)
class Not:
    expr: Expr
    pos: int


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]
    pos: int


Expr = Restriction | Not | And | Or
