"""Hot-path statements written once as SQL text and handed to the driver.

A run change used to build its statements as SQLAlchemy expressions on every
call (a 66-column rollup upsert, the run row update, the change-feed insert):
about 10 ms of Python per change, most of the write path's cost (see
docs/performance.md, "Writes"). These are rendered once per dialect and run
on the driver's cursor, so a call only binds its values. Errors still arrive
as SQLAlchemy's exception classes (IntegrityError, OperationalError), so
runyard.store.db's guard and ALREADY_EXISTS mapping work as for any statement.

Parameters are written `:name`; PostgreSQL (psycopg) gets `%(name)s`.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, NoResultFound

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement; `run` binds a mapping, `many` a sequence of them (executemany)."""

    __slots__ = ("pyformat", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pyformat = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Rows:
        return _execute(conn, self, params, many=False)

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Rows:
        return _execute(conn, self, rows, many=True)


class Rows:
    """What a statement returned, fetched whole (the cursor is closed)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound(f"expected one row, got {len(self._rows)}")
        return self._rows[0][0]


@functools.lru_cache(maxsize=256)
def _record(names: tuple[str, ...]) -> Any:
    return collections.namedtuple("Record", names, rename=True)  # type: ignore[misc]


def _execute(conn: Connection, sql: Sql, params: Any, *, many: bool) -> Rows:
    """Runs on the driver's cursor directly: SQLAlchemy's execution path costs
    about 100 µs per statement, the driver's about 7 µs. A driver error becomes
    SQLAlchemy's exception (IntegrityError, OperationalError, …) as it would
    through Connection.execute, and a lost connection is invalidated."""
    dialect = conn.dialect
    fairy = conn.connection
    text = sql.pyformat if dialect.name == "postgresql" else sql.text
    cursor = None
    try:
        # Inside the try: a closed connection refuses even a cursor.
        cursor = fairy.driver_connection.cursor()  # type: ignore[union-attr]
        if many:
            cursor.executemany(text, params)
        else:
            cursor.execute(text, params)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        rowcount = cursor.rowcount
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            text,
            params,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from exc
    finally:
        if cursor is not None:
            cursor.close()
    if rows:
        record = _record(tuple(d[0] for d in description))
        rows = [record(*row) for row in rows]
    return Rows(rows, rowcount)


def insert(table: str, columns: Sequence[str], suffix: str = "") -> Sql:
    """INSERT INTO table (columns) VALUES (:columns) [suffix]."""
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    return Sql(f"INSERT INTO {table} ({names}) VALUES ({values}) {suffix}".rstrip())


def assignments(columns: Sequence[str]) -> str:
    """`"a" = :a, "b" = :b` for an UPDATE's SET."""
    return ", ".join(f'"{c}" = :{c}' for c in columns)
