"""What the SQL adapter needs of a table: its columns by storage key."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement


class Columns(Protocol):
    """Column expressions by the storage keys a Schema and OrderFields name
    (a Table's `.c` is one; so is a dict of expressions)."""

    def __getitem__(self, key: str, /) -> ColumnElement[Any]: ...
