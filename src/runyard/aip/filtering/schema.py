"""What a collection lets a filter say: its fields, their types and columns."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement


class FieldType(enum.Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ENUM = "enum"
    TIMESTAMP = "timestamp"  # stored as integer UTC epoch microseconds
    DURATION = "duration"  # stored as integer microseconds
    MAP = "map"  # map<string, string> in a JSON column
    RESOURCE_NAME = "resource_name"  # a string; `convert` maps a literal to the stored value


@dataclass(frozen=True)
class Field:
    """One filterable field. `nullable` marks a message field that may be unset
    (a NULL column): an unset field never matches, not even under `!=`."""

    name: str
    type: FieldType
    column: ColumnElement[Any]
    enum_values: Mapping[str, int] = field(default_factory=dict)
    nullable: bool = False
    # For RESOURCE_NAME: the stored value of a literal; raises ValueError when it is not valid.
    convert: Callable[[str], str] | None = None
    description: str = ""


@dataclass(frozen=True)
class Schema:
    fields: Mapping[str, Field]
    # Columns a bare word searches (case-insensitive for ASCII letters, substring).
    text_fields: Sequence[ColumnElement[str]] = ()

    @classmethod
    def of(cls, *fields: Field, text_fields: Sequence[ColumnElement[str]] = ()) -> Schema:
        return cls({f.name: f for f in fields}, text_fields)
