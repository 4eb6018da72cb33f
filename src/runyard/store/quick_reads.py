"""SQLite: GetRun and a prepared ListRuns page as one statement on a connection
of the calling thread's own, without SQLAlchemy.

Through SQLAlchemy such a read checks a connection out of the pool, sends
BEGIN through its execution machinery (runyard.store.engine's begin hook),
runs the statement and COMMITs: about as much Python as the page's query and
a tenth of a served ListRuns (docs/performance.md, "ListRuns: what was left
per call"). A single SELECT needs none of it: in autocommit SQLite reads it
from one snapshot. So the common case (a run by name, or a page whose shape was
prepared already, in a workspace whose id is known) runs here, on a read-only
connection kept per thread (the event loop's for inline reads, each read
thread's own); anything else, and any error here, goes the full way and
answers as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from runyard.store.engine import SQLITE_BUSY_TIMEOUT_MS


class QuickReads:
    """Read-only autocommit connections to one SQLite file, one per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False

    def fetch(self, sql: str, params: Any) -> Sequence[Any] | None:
        """The rows of `sql`, or None when it could not run here (the caller
        then reads the full way, which maps errors as every read does)."""
        try:
            conn = getattr(self._local, "conn", None) or self._connect()
            if conn is None:
                return None
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            return None

    def _connect(self) -> sqlite3.Connection | None:
        with self._lock:
            if self._closed:
                return None
            conn = sqlite3.connect(
                self.path,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: each SELECT its own snapshot
                check_same_thread=False,  # closed by close(), from another thread
            )
            conn.execute("PRAGMA query_only=ON")
            self._all.append(conn)
        self._local.conn = conn
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def for_engine(engine: Engine) -> QuickReads | None:
    """QuickReads for a SQLite engine on a plain file, else None (PostgreSQL,
    in-memory databases, URI file names with options)."""
    url = engine.url
    path = url.database
    if engine.dialect.name != "sqlite" or url.query or not path:
        return None
    if path == ":memory:" or path.startswith("file:"):
        return None
    return QuickReads(path)
