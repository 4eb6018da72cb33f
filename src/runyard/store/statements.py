"""Hot-path statements written once as SQL text and handed to the driver.

A run change used to build its statements as SQLAlchemy expressions on every
call (a 66-column rollup upsert, the run row update, the change-feed insert):
about 10 ms of Python per change, most of the write path's cost (see
docs/performance.md, "Writes"). These are rendered once per dialect and run
with Connection.exec_driver_sql, so a call only binds its values. Errors still
arrive as SQLAlchemy's exception classes (IntegrityError, OperationalError), so
runyard.store.db's guard and ALREADY_EXISTS mapping work as for any statement.

Parameters are written `:name`; PostgreSQL (psycopg) gets `%(name)s`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import CursorResult

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement; `run` binds a mapping, `many` a sequence of them (executemany)."""

    __slots__ = ("pyformat", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pyformat = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))

    def _for(self, conn: Connection) -> str:
        return self.pyformat if conn.dialect.name == "postgresql" else self.text

    def run(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[Any]:
        return conn.exec_driver_sql(self._for(conn), params)  # type: ignore[arg-type]

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> CursorResult[Any]:
        return conn.exec_driver_sql(self._for(conn), rows)  # type: ignore[arg-type]


def insert(table: str, columns: Sequence[str], suffix: str = "") -> Sql:
    """INSERT INTO table (columns) VALUES (:columns) [suffix]."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    return Sql(f"INSERT INTO {table} ({names}) VALUES ({values}) {suffix}".rstrip())


def assignments(columns: Sequence[str]) -> str:
    """`"a" = :a, "b" = :b` for an UPDATE's SET."""
    return ", ".join(f'"{c}" = :{c}' for c in columns)
