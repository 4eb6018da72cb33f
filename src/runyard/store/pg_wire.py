"""One read statement on libpq directly, for the event loop's PostgreSQL reads
(runyard.store.async_pool).

psycopg's async cursor spends ~150-170 µs of CPU per page of 50 here: a cursor
object, its prepare bookkeeping, and a selector registration added and removed
for every wait on the socket. This path spends ~80 µs (docs/performance.md):
each statement is prepared once per connection under a name of its own, values
go as text with the types PostgreSQL would infer from psycopg's (ints as
bigint, strings as unknown), the socket stays registered with the loop while
the connection is pooled, and rows are loaded by psycopg's own Transformer, so
they are exactly what the cursor would return.

`fetch` answers None for what it does not take (values of other types, a
string with NUL, which text parameters would cut short, a statement
PostgreSQL cannot prepare this way, a data error such as a value out of an
inferred type's range); the caller then runs the statement through psycopg,
which answers or fails as it always did. Reads only: a read run twice is
harmless. A lost connection raises psycopg's OperationalError with the
connection marked broken, as psycopg's own path does."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.errors import error_from_result

Rows = list[tuple[Any, ...]]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")
_INT8, _BOOL, _UNKNOWN = 20, 16, 0
_MAX_STATEMENTS = 256  # per connection; past it, psycopg's own LRU of prepared statements
_BINARY = pq.Format.BINARY


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> tuple[bytes, tuple[str, ...]] | None:
    """`sql` with psycopg's %(name)s placeholders as $1, $2, ... (a name used
    twice is one number) and the names in that order; None for a statement
    with any other use of % (positional %s, a stray %)."""
    names: list[str] = []
    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(sql):
        out.append(sql[last : m.start()])
        last = m.end()
        if m.group(1) is not None:
            if m.group(1) not in names:
                names.append(m.group(1))
            out.append(f"${names.index(m.group(1)) + 1}")
        elif m.group(0) == "%%":
            out.append("%")
        else:
            return None
    out.append(sql[last:])
    return "".join(out).encode(), tuple(names)


def _encoded(value: Any) -> tuple[bytes | None, int] | None:
    """(text form, type oid) of one value, or None for one left to psycopg."""
    if value is None:
        return None, _UNKNOWN
    if value is True or value is False:
        return (b"t" if value else b"f"), _BOOL
    if type(value) is int:
        if -(2**63) <= value < 2**63:
            return str(value).encode(), _INT8
        return None
    if type(value) is str and "\x00" not in value:
        return value.encode(), _UNKNOWN
    return None


class Wire:
    """The libpq path of one pooled AsyncConnection, while the pool holds it."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self.pgconn = conn.pgconn
        self._loop = asyncio.get_running_loop()
        self._fd = self.pgconn.socket
        self._names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self._refused: set[bytes] = set()
        self._transformer = Transformer(conn)
        self._waiter: asyncio.Future[None] | None = None
        self._listening = False

    def _alive(self) -> bool:
        return self.pgconn.status == pq.ConnStatus.OK

    def listen(self) -> None:
        """Keep the socket registered with the loop (between statements too)."""
        if not self._listening and self._alive():
            self._loop.add_reader(self._fd, self._readable)
            self._listening = True

    def unlisten(self) -> None:
        """Before psycopg uses the connection, or before it is closed: its fd
        must not stay registered."""
        if self._listening:
            self._loop.remove_reader(self._fd)
            self._listening = False

    def _readable(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            _settle(waiter)
            return
        # Nobody waits: a notice, or the server closing the connection.
        try:
            self.pgconn.consume_input()
        except psycopg.OperationalError:
            self.unlisten()  # broken: an fd at EOF would wake the loop forever
            return
        while not self.pgconn.is_busy() and self.pgconn.get_result() is not None:
            pass

    async def fetch(self, sql: str, params: Any) -> Rows | None:
        """The rows of `sql` with `params`, or None for psycopg to run it."""
        form = numbered(sql) if isinstance(params, dict) else None
        if form is None:
            return None
        text, names = form
        if text in self._refused:
            return None
        values: list[bytes | None] = []
        types: list[int] = []
        for named in names:
            if named not in params:
                return None
            encoded = _encoded(params[named])
            if encoded is None:
                return None
            values.append(encoded[0])
            types.append(encoded[1])
        if not self._alive():
            raise psycopg.OperationalError("the connection is lost")
        key = (text, tuple(types))
        statement = self._names.get(key)
        if statement is None:
            if len(self._names) >= _MAX_STATEMENTS:
                return None
            statement = f"_ry_{len(self._names)}".encode()
            self.pgconn.send_prepare(statement, text, key[1])
            prepared = await self._result()
            if prepared.status != pq.ExecStatus.COMMAND_OK:
                self._refused.add(text)  # e.g. a type PostgreSQL cannot infer
                return None
            self._names[key] = statement
        self.pgconn.send_query_prepared(statement, values, result_format=_BINARY)
        result = await self._result()
        if result.status == pq.ExecStatus.TUPLES_OK:
            tx = self._transformer
            tx.set_pgresult(result, format=_BINARY)
            return tx.load_rows(0, result.ntuples, tuple)
        error = error_from_result(result, encoding=self.conn.info.encoding)
        if isinstance(error, psycopg.DataError):
            return None  # perhaps only this path's types: psycopg's answer stands
        raise error

    async def _result(self) -> pq.abc.PGresult:
        """The one result of what was sent, and the end of it."""
        pgconn = self.pgconn
        try:
            while pgconn.flush():
                await self._wait(writable=True)
            first = None
            while True:
                pgconn.consume_input()
                while not pgconn.is_busy():
                    result = pgconn.get_result()
                    if result is None:
                        if first is None:
                            raise psycopg.OperationalError("no result from the server")
                        return first
                    if first is None:
                        first = result
                await self._wait(writable=False)
        except psycopg.OperationalError:
            self.unlisten()
            if self._alive():
                pgconn.finish()  # its protocol state is unknown: nobody may use it again
            raise

    async def _wait(self, *, writable: bool) -> None:
        waiter = self._loop.create_future()
        if writable:
            self._loop.add_writer(self._fd, _settle, waiter)
        elif not self._listening:
            raise psycopg.OperationalError("the connection is lost")
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None
            if writable:
                self._loop.remove_writer(self._fd)


def _settle(waiter: asyncio.Future[None]) -> None:
    # Ready again before the waiting task has run: the future is set once only.
    if not waiter.done():
        waiter.set_result(None)
