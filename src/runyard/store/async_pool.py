"""A small pool of psycopg AsyncConnections for reads awaited on the event loop
(runyard.store.async_reads), PostgreSQL only.

Autocommit connections (a read of one statement needs no BEGIN or COMMIT),
opened on first need up to `size` and then kept: no checkout ping and no
reset on return, which is most of what SQLAlchemy's pool or psycopg_pool add
to a read of ~0.2 ms (docs/performance.md). A statement goes out on libpq
directly where it can (runyard.store.pg_wire), else through psycopg's cursor.
A connection found broken is dropped with every idle one (after a database
restart they are all stale), and the read is tried once more on a new
connection when the broken one had sat idle, so a restart is invisible to
callers once the database is back."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import psycopg
from psycopg import pq

from runyard.store.db_errors import unreachable, unstorable
from runyard.store.pg_wire import Wire

Rows = list[tuple[Any, ...]]


class AsyncPool:
    """At most `size` connections to `conninfo`, each used by one read at a time."""

    def __init__(self, conninfo: str, size: int, options: dict[str, Any]) -> None:
        self.conninfo = conninfo
        self.size = size
        self._options = options
        self._wires: dict[psycopg.AsyncConnection[Any], Wire] = {}
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def fetch(self, sql: str, params: Any) -> Rows:
        """The rows of one statement (binary results: bytea as it is stored).
        UNAVAILABLE when the database cannot be reached or the connection is lost."""
        for attempt in (1, 2):
            conn, reused = await self._checkout()
            try:
                rows = await self._fetch(conn, sql, params)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                broken = conn.broken or conn.closed
                self._release(conn, keep=False)
                if broken:
                    self._drop_idle()
                # One that sat idle died with the database's restart: once more.
                if broken and reused and attempt == 1:
                    continue
                raise unreachable(exc) from exc
            except psycopg.DataError as exc:
                self._release(conn, keep=True)
                raise unstorable(exc) from None  # the caller's value, as on the sync path
            except BaseException:
                self._release(conn, keep=True)  # kept only if it is idle again
                raise
            self._release(conn, keep=True)
            return rows
        raise AssertionError("unreachable")

    async def _fetch(self, conn: psycopg.AsyncConnection[Any], sql: str, params: Any) -> Rows:
        wire = self._wires[conn]
        rows = await wire.fetch(sql, params)
        if rows is not None:
            return rows
        wire.unlisten()  # psycopg waits on the socket its own way
        try:
            return await _fetch(conn, sql, params)
        finally:
            wire.listen()

    async def _checkout(self) -> tuple[psycopg.AsyncConnection[Any], bool]:
        """A connection and whether it was used before."""
        while not self._idle and self._open >= self.size:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # pass on the turn this waiter was given
                raise
        if self._idle:
            return self._idle.pop(), True
        self._open += 1
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, **self._options
            )
        except BaseException as exc:
            self._open -= 1
            self._wake()
            if isinstance(exc, psycopg.Error):
                raise unreachable(exc) from exc
            raise
        wire = self._wires[conn] = Wire(conn)
        wire.listen()
        return conn, False

    def _release(self, conn: psycopg.AsyncConnection[Any], *, keep: bool) -> None:
        ok = keep and not self._closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
        if ok:
            self._idle.append(conn)
        else:
            self._open -= 1
            self._discard(conn)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for conn in idle:
            self._discard(conn)

    def _unwire(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Before its fd is closed (and perhaps reused by another socket)."""
        wire = self._wires.pop(conn, None)
        if wire is not None:
            wire.unlisten()

    def _discard(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._unwire(conn)
        if not conn.closed:
            # Closing a connection only sends a Terminate message; no need to await it.
            conn.pgconn.finish()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for conn in idle:
            self._unwire(conn)
            await conn.close()


async def _fetch(conn: psycopg.AsyncConnection[Any], sql: str, params: Any) -> Rows:
    async with conn.cursor(binary=True) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


def conninfo_options(statement_timeout_ms: int, connect_timeout_s: int) -> dict[str, Any]:
    """The sync engine's timeouts (runyard.store.engine), and generic plans.

    psycopg prepares a statement on its fifth run on a connection, but
    PostgreSQL's default plan_cache_mode then still plans a list page afresh
    on every run (pg_prepared_statements: custom_plans only): ~60-80 µs of
    the backend's ~150 µs per page here. A page is a keyset scan whose shape,
    not its values, picks the index (equalities, then the order's columns),
    so one generic plan per statement serves every run (docs/performance.md)."""
    return {
        "options": f"-c statement_timeout={statement_timeout_ms}"
        " -c plan_cache_mode=force_generic_plan",
        "connect_timeout": connect_timeout_s,
    }
