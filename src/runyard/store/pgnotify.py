"""Sends the change topics of this process's PostgreSQL commits with pg_notify,
after the commits, from one connection of its own.

A pg_notify inside the writing transaction would be delivered exactly at its
commit, but PostgreSQL makes every notifying transaction in the cluster wait
for the one before it through its commit (a global lock held until the commit
record is flushed), so writers could never share a WAL flush: each paid its
own. Here the topics of many commits go out together, just after they
committed, and writers commit side by side.

A wake-up is a hint (runyard.store.notify): a watcher woken reads from its
resume point, so a late or repeated one costs a read, and one lost with this
process (killed between a commit and its notify) is made up by the watcher's
next heartbeat read. Watchers in this process are woken by the commit itself
(Database.on_commit), not by this.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

log = logging.getLogger("runyard.notify")

# PostgreSQL refuses NOTIFY payloads of 8,000 bytes and more.
NOTIFY_BYTES = 7_000
RECONNECT_SECONDS = 1.0


def payloads(topics: Iterable[str]) -> list[str]:
    """Space-separated topics, as few payloads as fit, each topic once."""
    out: list[str] = []
    for topic in dict.fromkeys(topics):
        if out and len(out[-1]) + len(topic) < NOTIFY_BYTES:
            out[-1] += " " + topic
        else:
            out.append(topic)
    return out


class Sender:
    """One thread and connection sending queued topics on `channel`; `send`
    returns at once."""

    def __init__(self, dsn: str, channel: str) -> None:
        self._dsn = dsn
        self._channel = channel
        self._pending: dict[str, None] = {}  # an ordered set
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The server process of this sender's connection while it is open: this
        # process's listener skips what it sends (its watchers were woken by
        # the commits themselves).
        self.backend_pid: int | None = None
        self.sent = 0  # notifying statements sent, for logs and tests

    def send(self, topics: Iterable[str]) -> None:
        with self._lock:
            self._pending.update(dict.fromkeys(topics))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="notify-send", daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def _take(self) -> list[str]:
        with self._lock:
            topics = list(self._pending)
            self._pending.clear()
        return topics

    def _run(self) -> None:
        import psycopg

        conn: psycopg.Connection | None = None
        try:
            while not self._stop.is_set():
                self._wake.wait()
                self._wake.clear()
                topics = self._take()
                if not topics:
                    continue
                try:
                    if conn is None or conn.closed:
                        self.backend_pid = None
                        conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
                        self.backend_pid = conn.info.backend_pid
                    parts = payloads(topics)
                    calls = ", ".join(["pg_notify(%s, %s)"] * len(parts))
                    conn.execute(f"SELECT {calls}", [v for p in parts for v in (self._channel, p)])
                    self.sent += 1
                except Exception as exc:
                    log.warning("change notifications not sent (%s); retrying", exc)
                    self.backend_pid = None
                    if conn is not None:
                        conn.close()
                        conn = None
                    with self._lock:  # sent with the next ones
                        self._pending = {**dict.fromkeys(topics), **self._pending}
                    self._stop.wait(RECONNECT_SECONDS)
                    self._wake.set()
        finally:
            self.backend_pid = None
            if conn is not None:
                conn.close()
