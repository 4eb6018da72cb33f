"""Engines for the two supported databases, set up for durability and concurrency.

SQLite: WAL (readers never block the writer), synchronous=FULL (a commit that
returned is on disk, so an acknowledged write survives kill -9 and power loss),
a busy timeout, and BEGIN IMMEDIATE for writing transactions so two writers
queue instead of failing on lock upgrade.

PostgreSQL: psycopg 3 through SQLAlchemy's pool, a statement timeout so one
slow query cannot hold a server thread forever, and a ping of connections that
sat idle in the pool (a busy connection is not pinged on every checkout: that
round trip cost as much as a small write's statements), so connections broken by a
database restart are replaced transparently; one broken while busy fails its
call with UNAVAILABLE and is replaced.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

DEFAULT_URL = "sqlite:///runyard.db"
STATEMENT_TIMEOUT_MS = 15_000
SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5
# A PostgreSQL connection idle in the pool this long is pinged before use.
PING_IDLE_S = 1.0


def resolve_url(url: str | None) -> str:
    """The URL given, else RUNYARD_DATABASE_URL, else a SQLite file in the working directory."""
    return url or os.environ.get("RUNYARD_DATABASE_URL") or DEFAULT_URL


def sqlalchemy_url(url: str) -> str:
    """Maps the documented URL forms to SQLAlchemy's driver names."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# PostgreSQL connections a process keeps: one per store thread (runyard.api.threads).
POOL_SIZE = 16


def make_engine(url: str, *, pool_size: int = POOL_SIZE, max_overflow: int | None = None) -> Engine:
    """`max_overflow` (PostgreSQL): connections opened beyond the pool in
    bursts, half of it by default."""
    sa_url = make_url(sqlalchemy_url(url))
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(str(sa_url))
    if backend == "postgresql":
        overflow = pool_size // 2 if max_overflow is None else max_overflow
        return _postgres_engine(str(sa_url), pool_size, overflow)
    raise ValueError(f"unsupported database URL scheme {sa_url.drivername!r}")


def _private_file(url: str) -> None:
    """Creates the SQLite file readable by its owner only (it holds token hashes
    and every run); SQLite gives its -wal and -shm files the same mode."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _sqlite_engine(url: str) -> Engine:
    _private_file(url)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgres_engine(url: str, pool_size: int, max_overflow: int) -> Engine:
    engine = create_engine(
        url,
        # Kept open: as many as the store's threads (runyard.api.threads) may
        # use at once. A connection beyond the pool is closed when it comes
        # back and opened again at the next burst: with 8 kept, 16 writing
        # callers opened ~35 sessions a second, each a new backend whose
        # first statements took 5-30 ms (docs/performance.md).
        pool_size=pool_size,
        max_overflow=max_overflow,
        # The connection used last goes out first: at low concurrency the same
        # few serve every call, with their prepared statements and warm
        # caches; taken in turn, 16 made each aggregate query ~15 % slower.
        pool_use_lifo=True,
        pool_timeout=10,
        connect_args={
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            "connect_timeout": CONNECT_TIMEOUT_S,
        },
    )

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            # The ping opened a transaction; left open, a read that asks for
            # autocommit (Database.read_each) could not have it.
            dbapi_connection.rollback()
        except Exception as exc:
            # The pool drops this connection and checks out another.
            raise DisconnectionError() from exc

    return engine
