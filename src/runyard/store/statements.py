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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from psycopg import pq
from psycopg.sql import Literal
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, NoResultFound

from runyard.store import greenlets, pg_script

T = TypeVar("T")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement; `run` binds a mapping, `many` a sequence of them (executemany).
    An INSERT made by `insert` also knows its row, to write many rows as one."""

    __slots__ = ("_pieces", "_row", "pyformat", "text")

    def __init__(self, text: str, row: tuple[str, str, str] | None = None) -> None:
        self.text = text
        self.pyformat = _PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
        # Text and parameter names alternating, for `literal`.
        self._pieces = _PARAM.split(text)
        self._row = None if row is None else (row[0], _PARAM.split(row[1]), row[2])

    def literal(self, params: Any, many: bool, quote: Callable[[Any], str]) -> str:
        """The statement with its values written in by `quote` (rows of `many`
        as one multi-row INSERT where it is one)."""
        if not many:
            return _fill(self._pieces, params, quote)
        if self._row is None:
            return ";\n".join(_fill(self._pieces, p, quote) for p in params)
        head, row, suffix = self._row
        return head + ", ".join(_fill(row, p, quote) for p in params) + suffix

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Rows:
        return _execute(conn, self, params, many=False)

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Rows:
        return _execute(conn, self, rows, many=True)


def _fill(pieces: list[str], params: Mapping[str, Any], quote: Callable[[Any], str]) -> str:
    out = pieces.copy()
    for i in range(1, len(out), 2):
        out[i] = quote(params[out[i]])
    return "".join(out)


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
    if dialect.name == "postgresql" and greenlets.active():
        return _execute_on_loop(conn, sql, params, many)
    text = sql.pyformat if dialect.name == "postgresql" else sql.text
    cursor = None
    try:
        # Inside the try: a closed connection refuses even a cursor.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if many:
            cursor.executemany(text, params)
        else:
            cursor.execute(text, params)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        rowcount = cursor.rowcount
    except dialect.loaded_dbapi.Error as exc:
        raise _translated(conn, exc, cursor, text, params) from exc
    finally:
        if cursor is not None:
            cursor.close()
    if rows:
        record = _record(tuple(d[0] for d in description))
        rows = [record(*row) for row in rows]
    return Rows(rows, rowcount)


def _execute_on_loop(conn: Connection, sql: Sql, params: Any, many: bool) -> Rows:
    """PostgreSQL, in a write on the event loop (runyard.store.pg_loop_writes):
    the statement with its values written in, awaited there; opens the
    transaction first if psycopg would have (in the same message)."""
    driver = conn.connection.driver_connection
    text = sql.literal(params, many, _Quote(driver))
    outcome = _on_loop(conn, _begun(driver, text))
    rows: list[Any] = outcome.rows
    if rows:
        record = _record(outcome.names)
        rows = [record(*row) for row in rows]
    return Rows(rows, outcome.rowcount)


def _begun(driver: Any, script: str) -> str:
    if not driver.autocommit and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE:
        return "BEGIN;\n" + script
    return script


def _on_loop(conn: Connection, script: str) -> pg_script.Outcome:
    driver = conn.connection.driver_connection
    return wait_translated(conn, pg_script.run(driver, script), script)  # type: ignore[arg-type]


def wait_translated(conn: Connection, awaitable: Awaitable[T], text: str = "") -> T:
    """greenlets.wait, a driver error raised as SQLAlchemy's (runyard.store.db's
    guard maps those) and a lost connection invalidated."""
    try:
        return greenlets.wait(awaitable)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _translated(conn, exc, None, text, None) from exc


def _translated(conn: Connection, exc: Any, cursor: Any, text: str, params: Any) -> Exception:
    """SQLAlchemy's exception for a driver error; a lost connection is invalidated."""
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(
        text,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    )


# One statement of a batch whose results nobody reads: (sql, params, executemany).
Statement = tuple[Sql, Any, bool]


def run_each(conn: Connection, batch: Sequence[Statement]) -> None:
    """Runs `batch` in order, one statement after another."""
    for sql, params, many in batch:
        _execute(conn, sql, params, many=many)


def run_and_commit(conn: Connection, batch: Sequence[Statement]) -> None:
    """PostgreSQL: runs `batch` and COMMITs, sent as one message (the simple
    query protocol takes several statements, with their values written in).

    The row locks these statements take are then held only while the server
    runs them and flushes the commit, never across a round trip to this
    process, whose thread would first have to win the GIL back from the
    others. (Pipeline mode would not do: psycopg sends each statement as it is
    queued.) Values are quoted by the driver, integers written as they are.
    In a write on the event loop the same message goes out on libpq there
    (runyard.store.pg_script)."""
    driver = conn.connection.driver_connection
    quote = _Quote(driver)
    script = ";\n".join([*(sql.literal(p, many, quote) for sql, p, many in batch), "COMMIT"])
    if greenlets.active():
        _on_loop(conn, _begun(driver, script))
        return
    cursor = None
    try:
        cursor = driver.cursor()  # type: ignore[union-attr]
        cursor.execute(script)  # no parameters: one simple-protocol Query message
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _translated(conn, exc, cursor, script, None) from exc
    finally:
        if cursor is not None:
            cursor.close()


def run_transaction(conn: Connection, batch: Sequence[Statement]) -> None:
    """PostgreSQL: `batch` as a transaction of its own on a connection that has
    none open (the sequencer after a write's COMMIT: runyard.store.sequencer),
    in one round trip: psycopg's pipeline sends BEGIN, the statements and
    COMMIT together and waits once. The statements are prepared on the
    connection, so PostgreSQL plans them once per session instead of per run
    (the sequencer's statement took ~1 ms to parse and plan, longer than it
    takes to run with a few rows; docs/performance.md). A failed transaction
    is rolled back, leaving the connection as it was."""
    driver = conn.connection.driver_connection
    sql = None
    try:
        with driver.pipeline(), driver.transaction():  # type: ignore[union-attr]
            for sql, params, many in batch:
                if many:
                    driver.cursor().executemany(sql.pyformat, params)  # type: ignore[union-attr]
                else:
                    driver.execute(sql.pyformat, params, prepare=True)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        text = sql.text if sql is not None else ""
        raise _translated(conn, exc, None, text, None) from exc


class _Quote:
    """SQL literals of one script's values; each distinct text or bytes value is
    quoted once (an automation name recurs in every rollup row)."""

    __slots__ = ("_driver", "_seen")

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self._seen: dict[tuple[type, Any], str] = {}

    def __call__(self, value: Any) -> str:
        kind = type(value)
        if kind is int:
            return str(value)
        if value is None:
            return "NULL"
        found = self._seen.get((kind, value))
        if found is None:
            found = self._seen[(kind, value)] = Literal(value).as_string(self._driver)
        return found


def insert(
    table: str, columns: Sequence[str], suffix: str = "", values: Mapping[str, str] | None = None
) -> Sql:
    """INSERT INTO table (columns) VALUES (:columns) [suffix]; `values` gives
    some columns an SQL expression instead of their parameter."""
    names = ", ".join(f'"{c}"' for c in columns)
    given = values or {}
    values_sql = ", ".join(given.get(c, f":{c}") for c in columns)
    head = f"INSERT INTO {table} ({names}) VALUES "
    tail = f" {suffix}".rstrip()
    return Sql(f"{head}({values_sql}){tail}", (head, f"({values_sql})", tail))


def assignments(columns: Sequence[str]) -> str:
    """`"a" = :a, "b" = :b` for an UPDATE's SET."""
    return ", ".join(f'"{c}" = :{c}' for c in columns)
