"""A PostgreSQL simple query (one or more statements, values written in) sent
on a psycopg connection's libpq handle and awaited on the event loop: the I/O
of the store's writes when they run there (runyard.store.pg_loop_writes).

The connection is a pooled synchronous psycopg connection used only from the
loop's thread while a write holds it, so nothing else reads its socket; the
socket is watched only while a statement is out. psycopg keeps no state of
its own about the transaction (it asks libpq), so a write may mix this path
with psycopg's own calls on the same connection (a rollback after an error).
Errors are psycopg's (`error_from_result`), a lost connection is psycopg's
OperationalError with the connection closed, as on psycopg's own path, so the
store's translation into SQLAlchemy's errors (runyard.store.statements) and
the pool's invalidation work unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.errors import error_from_result

_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY)


class Outcome:
    """What the last statement of a script returned: rows as tuples, their
    column names, and the row count."""

    __slots__ = ("names", "rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], names: tuple[str, ...], rowcount: int) -> None:
        self.rows = rows
        self.names = names
        self.rowcount = rowcount


async def run(driver: psycopg.Connection[Any], script: str) -> Outcome:
    """Sends `script` as one Query message and reads every result; raises the
    first error PostgreSQL reported (the statements after it did not run)."""
    pgconn = driver.pgconn
    if pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("the connection is lost")
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    results: list[pq.abc.PGresult] = []
    try:
        pgconn.send_query(script.encode(driver.info.encoding))
        while pgconn.flush():
            await _ready(loop, fd, writable=True)
        while True:
            pgconn.consume_input()
            done = False
            while not pgconn.is_busy():
                result = pgconn.get_result()
                if result is None:
                    done = True
                    break
                results.append(result)
            if done:
                break
            await _ready(loop, fd, writable=False)
    except psycopg.OperationalError:
        if pgconn.status == pq.ConnStatus.OK:
            pgconn.finish()  # its protocol state is unknown: nobody may use it again
        raise
    except BaseException:
        # Cancelled mid-statement: the connection cannot be trusted with another.
        pgconn.finish()
        raise
    if not results:
        raise psycopg.OperationalError("no result from the server")
    for result in results:
        if result.status not in _OK:
            raise error_from_result(result, encoding=driver.info.encoding)
    return _outcome(driver, results[-1])


def _outcome(driver: psycopg.Connection[Any], result: pq.abc.PGresult) -> Outcome:
    if result.status != pq.ExecStatus.TUPLES_OK:
        count = result.command_tuples
        return Outcome([], (), -1 if count is None else count)
    tx = Transformer(driver)
    tx.set_pgresult(result)
    names = tuple((result.fname(i) or b"").decode() for i in range(result.nfields))
    rows = tx.load_rows(0, result.ntuples, tuple)
    return Outcome(rows, names, result.ntuples)


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, *, writable: bool) -> None:
    waiter: asyncio.Future[None] = loop.create_future()
    if writable:
        loop.add_writer(fd, _settle, waiter)
    else:
        loop.add_reader(fd, _settle, waiter)
    try:
        await waiter
    finally:
        if writable:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
