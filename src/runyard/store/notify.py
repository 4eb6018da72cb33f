"""One notification hub per process: watchers wait on topics, not on queries.

A watcher subscribes to a topic (runyard.store.changefeed: `r:<run row id>`,
`w:<workspace id>`), reads what it has not seen, and sleeps until the hub
wakes it. The hub is fed by the commits of this process (SqlStore.on_commit)
and by one listener thread per process for commits made elsewhere:

- PostgreSQL: a dedicated connection LISTENs on the change channel; each
  replica sends its commits' topics there with pg_notify just after they
  committed (runyard.store.pgnotify).
- SQLite: one poller reads `PRAGMA data_version` (it changes when another
  connection commits) and, only when it changed, the high-water marks of the
  subscribed topics, waking those that moved.

Waking is idempotent: a woken watcher re-reads from its resume point, so a
duplicate or spurious wake-up costs a query, never a duplicate message, and a
lost one is made up by the watcher's next heartbeat read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url

from runyard.store import changefeed
from runyard.store.engine import sqlalchemy_url

log = logging.getLogger("runyard.notify")

SQLITE_POLL_SECONDS = 0.1
PG_RECONNECT_SECONDS = 1.0


class Subscription:
    """One watcher's interest in one topic."""

    __slots__ = ("_event", "_hub", "topic")

    def __init__(self, hub: Hub, topic: str) -> None:
        self._hub = hub
        self.topic = topic
        self._event = asyncio.Event()

    def clear(self) -> None:
        """Call before reading, so a change committed during the read wakes the next wait."""
        self._event.clear()

    def set(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when `timeout` passed first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self._hub._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Hub:
    """Topic → subscriptions, on one asyncio loop; `publish` may be called from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._subs: dict[str, set[Subscription]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, topic: str) -> Subscription:
        sub = Subscription(self, topic)
        self._subs.setdefault(topic, set()).add(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.topic)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.topic]

    def topics(self) -> list[str]:
        return list(self._subs)

    def watchers(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def publish(self, topics: Iterable[str]) -> None:
        """Wakes the subscribers of `topics` (thread-safe). Topics nobody
        watches now are dropped here, before a wake-up of the loop: a watcher
        subscribes before it reads, so one that subscribes after this check
        reads what was committed before it."""
        subs = self._subs
        items = [topic for topic in topics if topic in subs]
        if not items:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            self.loop.call_soon_threadsafe(self._deliver, items)

    def wake_all(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._deliver, None)

    def _deliver(self, topics: list[str] | None) -> None:
        names = self._subs.keys() if topics is None else topics
        for topic in list(names):
            for sub in self._subs.get(topic, ()):
                sub.set()

    # -- listeners for commits made by other processes ----------------------

    def listen(self, url: str, own: Callable[[], int | None] = lambda: None) -> None:
        """Starts the one listener thread of this process for the database at
        `url`. On PostgreSQL, notifications sent by the server process `own()`
        names are skipped: that is this process's own sender
        (runyard.store.pgnotify), whose commits woke their watchers already."""
        sa_url = make_url(sqlalchemy_url(url))
        target: Callable[..., None]
        args: tuple[Any, ...]
        if sa_url.get_backend_name() == "postgresql":
            dsn = sa_url.set(drivername="postgresql").render_as_string(hide_password=False)
            target, args = self._pg_listen, (dsn, own)
        else:
            target, args = self._sqlite_poll, (sa_url.database or "",)
        self._thread = threading.Thread(target=target, args=args, name="notify", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _pg_listen(self, dsn: str, own: Callable[[], int | None]) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {changefeed.CHANNEL}")
                    # Anything committed while we were not listening: re-read everything.
                    self.wake_all()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.pid != own():
                                self.publish(note.payload.split())
            except Exception as exc:
                log.warning("change listener lost its connection (%s); reconnecting", exc)
                self._stop.wait(PG_RECONNECT_SECONDS)

    def _sqlite_poll(self, path: str) -> None:
        if not path or path == ":memory:":
            return
        seen: dict[str, int] = {}
        version = -1
        while not self._stop.wait(SQLITE_POLL_SECONDS):
            try:
                with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
                    while not self._stop.wait(SQLITE_POLL_SECONDS):
                        now = conn.execute("PRAGMA data_version").fetchone()[0]
                        if now != version:
                            version = now
                            self._sqlite_moved(conn, seen)
            except sqlite3.Error as exc:
                log.warning("change poller failed (%s); retrying", exc)

    def _sqlite_moved(self, conn: sqlite3.Connection, seen: dict[str, int]) -> None:
        topics = self.topics()
        runs = [int(x[2:]) for x in topics if x.startswith("r:")]
        spaces = [f"ws:{x[2:]}" for x in topics if x.startswith("w:")]
        marks: dict[str, int] = {}
        if runs:
            marks.update(
                (f"r:{i}", int(v))
                for i, v in conn.execute(
                    f"SELECT id, last_event FROM runs WHERE id IN ({','.join('?' * len(runs))})",
                    runs,
                )
            )
        if spaces:
            marks.update(
                (f"w:{name[3:]}", int(v))
                for name, v in conn.execute(
                    "SELECT name, value FROM change_feed_state "
                    f"WHERE name IN ({','.join('?' * len(spaces))})",
                    spaces,
                )
            )
        # A topic not seen before may have moved too: one spurious wake-up costs one read.
        moved = [k for k, v in marks.items() if seen.get(k) != v]
        seen.clear()
        seen.update(marks)
        if moved:
            self.publish(moved)
