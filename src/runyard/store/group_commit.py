"""SQLite group commit: this process's write transactions share one connection
and one durable COMMIT.

A writer takes the connection in turn (a lock, so SQLite's polling busy
handler only arbitrates between processes), opens the group's transaction if
none is open (BEGIN IMMEDIATE), and runs its work inside a SAVEPOINT of its
own: work that fails rolls back to its savepoint and leaves the other writers'
work in the group untouched. A writer that finds nobody queued behind it (or a
full group) commits the group; the others wait for that COMMIT and return only
once it is done, so no write is acknowledged before it is on disk
(synchronous=FULL). Throughput then grows with callers: one fsync covers every
writer that queued while the previous one ran.

If the COMMIT fails, or a failure took the whole transaction with it (SQLite
rolls back everything on some I/O errors), every writer of the group gets
UNAVAILABLE; with a request_id their retry applies once.

The event loop's writers (runyard.store.loop_writes) hold the turn as one:
their statements run on the loop, one savepoint each, and only the BEGIN and
the COMMIT go to a thread; `transaction` on the thread holding the turn that
way is such a savepoint (see `hold`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from runyard.aip.errors import unavailable
from runyard.store.statements import Sql

log = logging.getLogger(__name__)
L = TypeVar("L")

# Writers per group at most, so a group's first writer does not wait on an
# unbounded tail before its COMMIT.
MAX_GROUP = 64
# How often a writer waiting for its group's COMMIT checks that someone will
# make it (it makes it itself when the writer expected to do so went away).
_NUDGE_S = 0.05


_SAVEPOINT = Sql("SAVEPOINT writer")
_RELEASE = Sql("RELEASE writer")
_ROLLBACK = Sql("ROLLBACK TO writer")


class Group:
    __slots__ = ("after", "done", "failed", "flush", "local", "members")

    def __init__(self) -> None:
        self.members = 0
        self.failed = False
        self.done = threading.Event()
        # Called after the group's COMMIT (loop writers' change topics).
        self.after: list[Callable[[], None]] = []
        # Loop writers' statements summed over the group (`group_local`), run
        # once before its COMMIT.
        self.local: Any = None
        self.flush: Callable[[], None] | None = None


class GroupCommitter:
    """The one write connection of a SQLite database in this process."""

    def __init__(self, engine: Engine, wait_s: float) -> None:
        self._engine = engine
        self._wait_s = wait_s
        self._turn = threading.Lock()  # who uses the connection now
        self._queued = 0  # writers waiting for their turn
        self._count = threading.Lock()
        self._conn: Connection | None = None
        self._txn: Any = None
        self._group: Group | None = None
        # The thread whose `transaction` calls are savepoints in the open group
        # (the event loop's, while runyard.store.loop_writes holds the turn).
        self._holder: int | None = None
        self.commits = 0  # groups committed (tests, diagnostics)

    @property
    def queued(self) -> int:
        """Writers waiting for their turn now."""
        with self._count:
            return self._queued

    def close(self) -> None:
        with self._turn:
            if self._txn is not None:
                self._commit()
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A savepoint in the current group's transaction; returns once it is
        durable (on the holding thread: at once, durable with the group)."""
        if self._holder == threading.get_ident():
            with self._held_savepoint() as conn:
                yield conn
            return
        self._take_turn()
        group: Group | None = None
        try:
            conn = self._connection()
            if self._txn is None:
                self._begin(conn)
            group = self._group
            assert group is not None
            with self._savepoint(conn, group):
                yield conn
        finally:
            try:
                if self._txn is not None and (self._nobody_queued() or self.full()):
                    self._commit()
            finally:
                self._turn.release()
        self._await(group)

    @contextmanager
    def _held_savepoint(self) -> Iterator[Connection]:
        group, conn = self._group, self._conn
        if group is None or group.failed or conn is None:
            raise unavailable("the database is unavailable; retry shortly")
        with self._savepoint(conn, group):
            yield conn

    @contextmanager
    def _savepoint(self, conn: Connection, group: Group) -> Iterator[None]:
        """One writer's part of the group: undone alone if it fails."""
        # Plain SQL, not begin_nested() (SQLAlchemy compiles a savepoint
        # clause anew each time); the work's own begin_nested() nests inside.
        _SAVEPOINT.run(conn, {})
        try:
            yield
        except BaseException:
            self._undo(conn, group)
            raise
        _RELEASE.run(conn, {})
        group.members += 1

    def later(self, fn: Callable[[], None]) -> bool:
        """Calls `fn` after the open group's COMMIT when this thread holds the
        group (returns True); otherwise returns False (the caller's write is
        committed already)."""
        group = self._group
        if self._holder != threading.get_ident() or group is None:
            return False
        group.after.append(fn)
        return True

    def group_local(self, make: Callable[[], L], flush: Callable[[L], None]) -> L | None:
        """On the holding thread, the open group's `make()` (made on first use;
        `flush` runs it before the COMMIT); elsewhere None."""
        group = self._group
        if self._holder != threading.get_ident() or group is None:
            return None
        if group.local is None:
            local = group.local = make()
            group.flush = lambda: flush(local)
        return group.local  # type: ignore[no-any-return]

    def finish_group(self) -> None:
        """Runs the open group's work due before its COMMIT; if that fails, the
        group is lost (its writers get UNAVAILABLE)."""
        group = self._group
        if group is None or group.failed:
            return
        work, group.flush = group.flush, None
        if work is None:
            return
        try:
            work()
        except Exception:
            log.warning(
                "SQLite write group lost finishing its writes; its writers retry", exc_info=True
            )
            self._abandon(group)

    def open_group(self) -> Group:
        """Takes the turn (blocking: run on a thread) and opens a group if none
        is open; the caller then holds it (`hold`) and ends with `commit_group`
        or `release`."""
        self._take_turn()
        try:
            conn = self._connection()
            if self._txn is None:
                self._begin(conn)
        except BaseException:
            self._turn.release()
            raise
        assert self._group is not None
        return self._group

    def hold(self, holder: int | None) -> None:
        """Makes `transaction` on thread `holder` a savepoint of the open group."""
        self._holder = holder

    def commit_group(self, reopen: Callable[[], bool] | None = None) -> Group | None:
        """Commits the open group (its members wait on it). Then, if `reopen()`
        says more writes wait and no thread writer queued for the turn, keeps
        the turn and returns a new open group (one trip to this thread per
        group instead of two); otherwise gives up the turn and returns None."""
        kept: Group | None = None
        try:
            if self._txn is not None:
                self._commit()
            if reopen is not None and reopen() and self._nobody_queued():
                kept = self._reopen()
        finally:
            if kept is None:
                self._turn.release()
        return kept

    def _reopen(self) -> Group | None:
        try:
            if self._txn is None:
                self._begin(self._connection())
        except Exception:
            # The writes waiting learn of it when they open a group themselves.
            log.debug("reopening a SQLite write group failed", exc_info=True)
            return None
        return self._group

    def release(self) -> None:
        self._turn.release()

    def _take_turn(self) -> None:
        with self._count:
            self._queued += 1
        try:
            got = self._turn.acquire(timeout=self._wait_s)
        finally:
            with self._count:
                self._queued -= 1
        if not got:
            log.warning(
                "database unavailable: no SQLite write turn within %.0f s (contention)",
                self._wait_s,
            )
            raise unavailable("the database is busy; retry shortly")

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.invalidated or self._conn.closed:
            self._conn = self._engine.connect().execution_options(write=True)
        return self._conn

    def _begin(self, conn: Connection) -> None:
        try:
            self._txn = conn.begin()  # BEGIN IMMEDIATE (runyard.store.engine)
        except Exception:
            # Busy past the timeout (another process writes): start clean next time.
            self._conn = None
            try:
                conn.invalidate()
            except Exception:
                log.debug("dropping the write connection failed", exc_info=True)
            raise
        self._group = Group()

    def _nobody_queued(self) -> bool:
        with self._count:
            return self._queued == 0

    def full(self) -> bool:
        return self._group is not None and self._group.members >= MAX_GROUP

    def _undo(self, conn: Connection, group: Group) -> None:
        """Rolls back one writer's work; when that fails or SQLite already
        rolled back the whole transaction, the group is lost."""
        try:
            _ROLLBACK.run(conn, {})
            _RELEASE.run(conn, {})
            intact = bool(conn.connection.driver_connection.in_transaction)  # type: ignore[union-attr]
        except Exception:
            intact = False
        if not intact:
            log.warning("SQLite write group lost with a failed write; its writers retry")
            self._abandon(group)

    def _commit(self) -> None:
        self.finish_group()  # done already unless the loop's group was left half-way
        group, txn = self._group, self._txn
        if txn is None:
            return
        self._group, self._txn = None, None
        try:
            txn.commit()
        except Exception:
            log.warning("SQLite group COMMIT failed; its writers retry", exc_info=True)
            self._group, self._txn = group, txn
            if group is not None:
                self._abandon(group)
            return
        self.commits += 1
        if group is not None:
            group.done.set()

    def _abandon(self, group: Group) -> None:
        """Fails every writer of the group and starts over on a fresh connection."""
        group.failed = True
        group.done.set()
        txn, conn = self._txn, self._conn
        self._txn, self._group, self._conn = None, None, None
        try:
            if txn is not None and txn.is_active:
                txn.rollback()
        except Exception:
            log.debug("rollback of a lost group failed", exc_info=True)
        if conn is not None:
            try:
                conn.invalidate()
            except Exception:
                log.debug("closing a lost group's connection failed", exc_info=True)

    def _await(self, group: Group | None) -> None:
        if group is None:
            return
        while not group.done.wait(_NUDGE_S):
            # Whoever holds the turn commits or hands on; a writer that was
            # counted as queued but gave up leaves nobody to commit: do it here.
            if self._turn.acquire(blocking=False):
                try:
                    if self._group is group and self._nobody_queued():
                        self._commit()
                finally:
                    self._turn.release()
        if group.failed:
            raise unavailable("the database is unavailable; retry shortly")
