"""PostgreSQL reads on libpq directly (runyard.store.pg_wire) return what
psycopg's cursor returns, leave to psycopg what they do not take, and fail as
psycopg fails."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from runyard.store.pg_wire import Wire, numbered

# (sql, params): the wire's rows equal the cursor's.
SAME = [
    ("SELECT 1", {}),
    ("SELECT %(a)s::int8 + 1, %(a)s::int8 - 1", {"a": 41}),
    ("SELECT %(a)s::int4 * 2", {"a": -7}),
    ("SELECT %(s)s::text, length(%(s)s)", {"s": "héllo ✓"}),
    ("SELECT %(s)s::text", {"s": ""}),
    ("SELECT %(b)s::bool, NOT %(c)s::bool", {"b": True, "c": False}),
    ("SELECT %(n)s::text IS NULL, %(n)s::int8", {"n": None}),
    ("SELECT decode('00ff7f', 'hex'), ''::bytea", {}),
    ("SELECT 'a%%b' LIKE 'a%%', '100%%'", {}),
    ("SELECT x, x::text AS t FROM generate_series(1, %(n)s) AS x ORDER BY x DESC", {"n": 60}),
    ("SELECT 1 WHERE %(a)s::int8 > 5", {"a": 3}),
    ("SELECT %(big)s::int8, %(small)s::int8", {"big": 2**63 - 1, "small": -(2**63)}),
    ("SELECT now() > %(t)s::timestamptz", {"t": "2020-01-01T00:00:00Z"}),
    ("SELECT %(x)s::int2 = 3", {"x": 3}),
    ("SELECT %(a)s", {"a": 1, "b": 2}),  # a value no placeholder names
]

# (sql, params): the wire declines (None) and psycopg's cursor answers.
DECLINED = [
    ("SELECT %(f)s::float8", {"f": 1.5}),  # a type the wire leaves to psycopg
    ("SELECT %(s)s::bytea", {"s": b"\x00\x01"}),
    ("SELECT %(s)s::text", {"s": "a\x00b"}),  # text parameters would stop at the NUL
    ("SELECT %(n)s::numeric", {"n": 2**70}),  # beyond bigint
    ("SELECT %s::int8", [1]),  # positional
    ("SELECT %(missing)s::int8", {}),  # a name without a value
    ("SELECT %(x)s::int4", {"x": 2**40}),  # out of the int4 range: a data error
    ("SELECT 1 / %(z)s::int8", {"z": 0}),  # division by zero: a data error too
    ("SELECT %(x)s IS NULL", {"x": None}),  # a type PostgreSQL cannot infer
]


def test_numbered_placeholders() -> None:
    assert numbered("SELECT %(a)s, %(b)s, %(a)s") == (b"SELECT $1, $2, $1", ("a", "b"))
    assert numbered("SELECT 'x%%' LIKE %(p)s") == (b"SELECT 'x%' LIKE $1", ("p",))
    assert numbered("SELECT 1") == (b"SELECT 1", ())
    assert numbered("SELECT %s") is None
    assert numbered("SELECT 5 % 3") is None


def _run(database_url: str, check: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the wire is PostgreSQL's")
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://")

    async def main() -> None:
        conn = await psycopg.AsyncConnection.connect(
            conninfo, autocommit=True, options="-c statement_timeout=2000"
        )
        wire = Wire(conn)
        wire.listen()
        try:
            await check(conn, wire)
        finally:
            wire.unlisten()
            await conn.close()

    asyncio.run(main())


async def _cursor(conn: psycopg.AsyncConnection[Any], sql: str, params: Any) -> Any:
    async with conn.cursor(binary=True) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


@pytest.mark.parametrize(("sql", "params"), SAME)
def test_rows_equal_the_cursors(database_url: str, sql: str, params: dict[str, Any]) -> None:
    async def check(conn: psycopg.AsyncConnection[Any], wire: Wire) -> None:
        for _ in range(2):  # prepared on the first, reused on the second
            ours = await wire.fetch(sql, params)
            assert ours is not None
            wire.unlisten()
            theirs = await _cursor(conn, sql, params)
            wire.listen()
            assert ours == theirs
            assert [tuple(map(type, row)) for row in ours] == [
                tuple(map(type, row)) for row in theirs
            ]

    _run(database_url, check)


@pytest.mark.parametrize(("sql", "params"), DECLINED)
def test_declined_statements_are_left_to_psycopg(database_url: str, sql: str, params: Any) -> None:
    async def check(conn: psycopg.AsyncConnection[Any], wire: Wire) -> None:
        assert await wire.fetch(sql, params) is None
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert await wire.fetch("SELECT 2", {}) == [(2,)]  # the connection is still good

    _run(database_url, check)


def test_errors_are_psycopgs(database_url: str) -> None:
    async def check(conn: psycopg.AsyncConnection[Any], wire: Wire) -> None:
        with pytest.raises(psycopg.errors.QueryCanceled):
            await wire.fetch("SELECT pg_sleep(%(s)s)", {"s": 5})  # past statement_timeout
        assert await wire.fetch("SELECT 3", {}) == [(3,)]

    _run(database_url, check)


def test_a_lost_connection_is_operational_error_and_broken(database_url: str) -> None:
    async def check(conn: psycopg.AsyncConnection[Any], wire: Wire) -> None:
        assert await wire.fetch("SELECT 1", {}) == [(1,)]
        async with await psycopg.AsyncConnection.connect(conn.info.dsn, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
        await asyncio.sleep(0.2)  # the loop sees the socket close while nobody waits
        assert not wire._listening  # unregistered: an fd at EOF would spin the loop
        with pytest.raises(psycopg.OperationalError):
            await wire.fetch("SELECT 1", {})
        assert conn.broken

    _run(database_url, check)


def test_a_connection_killed_mid_statement(database_url: str) -> None:
    async def check(conn: psycopg.AsyncConnection[Any], wire: Wire) -> None:
        pid = conn.info.backend_pid
        slow = asyncio.ensure_future(wire.fetch("SELECT pg_sleep(%(s)s)", {"s": 1}))
        await asyncio.sleep(0.2)
        async with await psycopg.AsyncConnection.connect(conn.info.dsn, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError):
            await slow
        assert conn.broken

    _run(database_url, check)
