"""What a collection lets a filter say: its fields, their types, and the key
under which each field's value is stored. The schema names storage keys, not
columns: runyard.aip.sql maps keys to a table's columns, the evaluator reads
them from a Python row."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


class FieldType(enum.Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    ENUM = "enum"
    TIMESTAMP = "timestamp"  # stored as integer UTC epoch microseconds
    DURATION = "duration"  # stored as integer microseconds
    MAP = "map"  # map<string, string> stored as a JSON object
    RESOURCE_NAME = "resource_name"  # a string; `convert` maps a literal to the stored value


@dataclass(frozen=True)
class Field:
    """One filterable field. `key` names its stored value (the field's name when
    empty). `nullable` marks a message field that may be unset (stored as NULL):
    an unset field never matches, not even under `!=`."""

    name: str
    type: FieldType
    key: str = ""
    enum_values: Mapping[str, int] = field(default_factory=dict)
    nullable: bool = False
    # For RESOURCE_NAME: the stored value of a literal; raises ValueError when it is not valid.
    convert: Callable[[str], str] | None = None
    description: str = ""

    @property
    def stored(self) -> str:
        """The storage key of this field's value."""
        return self.key or self.name


@dataclass(frozen=True)
class Schema:
    fields: Mapping[str, Field]
    # Storage keys a bare word searches (case-insensitive for ASCII letters, substring).
    text_fields: Sequence[str] = ()

    @classmethod
    def of(cls, *fields: Field, text_fields: Sequence[str] = ()) -> Schema:
        return cls({f.name: f for f in fields}, tuple(text_fields))
