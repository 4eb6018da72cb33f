"""A PostgreSQL simple query awaited on the event loop (runyard.store.pg_script)
returns what psycopg's own cursor returns for it, and fails as psycopg fails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import pq

from runyard.store import pg_script

# Scripts whose last statement's rows, column names and row count equal the cursor's.
SAME = [
    "SELECT 1 AS one, 'héllo ✓'::text AS t, ''::text AS e",
    "SELECT decode('00ff7f', 'hex') AS b, ''::bytea AS none",
    "SELECT NULL::int8 AS n, true AS yes, false AS no, 1.5::float8 AS f, 2::int2 AS s",
    """SELECT '{"a": [1, 2]}'::jsonb AS j, '{"k": 1}'::json AS js, 9223372036854775807 AS big""",
    "SELECT x, x::text AS t FROM generate_series(1, 60) AS x ORDER BY x DESC",
    "SELECT 1 WHERE false",
    "BEGIN; SELECT 2 AS two",  # the last statement's result
    "CREATE TEMP TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    "CREATE TEMP TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')"
    " RETURNING id, v",
    "CREATE TEMP TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');"
    " UPDATE t SET v = 'z' WHERE id < 3",
    "SELECT 1; SELECT 'last' AS which",
]


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the simple query path is PostgreSQL's")
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True, options="-c statement_timeout=2000") as c:
        yield c


def _run(conn: psycopg.Connection[Any], script: str) -> pg_script.Outcome:
    return asyncio.run(pg_script.run(conn, script))


def _reset(conn: psycopg.Connection[Any]) -> None:
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        conn.execute("ROLLBACK")
    conn.execute("DISCARD TEMP")


@pytest.mark.parametrize("script", SAME)
def test_outcome_equals_the_cursors(conn: psycopg.Connection[Any], script: str) -> None:
    ours = _run(conn, script)
    _reset(conn)
    with conn.cursor() as cursor:
        cursor.execute(script.encode())  # bytes: psycopg takes it as is, no placeholders
        while cursor.nextset():  # psycopg starts at the first statement's result
            pass
        theirs = cursor.fetchall() if cursor.description else []
        names = tuple(d.name for d in cursor.description or ())
        rowcount = cursor.rowcount
    _reset(conn)
    assert ours.rows == theirs
    assert [tuple(map(type, r)) for r in ours.rows] == [tuple(map(type, r)) for r in theirs]
    assert ours.names == names
    assert ours.rowcount == rowcount


def test_an_error_stops_the_script_and_is_psycopgs(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TEMP TABLE u (id int PRIMARY KEY)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        _run(conn, "INSERT INTO u VALUES (1); INSERT INTO u VALUES (1); INSERT INTO u VALUES (2)")
    # One implicit transaction: none of it stayed, and the connection is ready.
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE
    assert _run(conn, "SELECT count(*) AS n FROM u").rows == [(0,)]
    # Inside an explicit transaction the failure leaves it to be rolled back.
    with pytest.raises(psycopg.errors.UniqueViolation):
        _run(conn, "BEGIN; INSERT INTO u VALUES (3); INSERT INTO u VALUES (3)")
    assert conn.info.transaction_status == pq.TransactionStatus.INERROR
    conn.rollback()
    with pytest.raises(psycopg.errors.QueryCanceled):
        _run(conn, "SELECT pg_sleep(5)")  # past statement_timeout
    assert _run(conn, "SELECT 3 AS three").rows == [(3,)]


def test_a_lost_connection_is_operational_error_and_closed(conn: psycopg.Connection[Any]) -> None:
    pid = conn.info.backend_pid

    async def main() -> None:
        slow = asyncio.ensure_future(pg_script.run(conn, "SELECT pg_sleep(1)"))
        await asyncio.sleep(0.2)
        async with await psycopg.AsyncConnection.connect(conn.info.dsn, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError):
            await slow

    asyncio.run(main())
    assert conn.closed  # what SQLAlchemy's psycopg dialect reads as a disconnect
    with pytest.raises(psycopg.OperationalError):
        _run(conn, "SELECT 1")


def test_a_cancelled_statement_closes_the_connection(conn: psycopg.Connection[Any]) -> None:
    async def main() -> None:
        slow = asyncio.ensure_future(pg_script.run(conn, "SELECT pg_sleep(1)"))
        await asyncio.sleep(0.1)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow

    asyncio.run(main())
    assert conn.closed  # its protocol state is unknown: nobody may use it again
