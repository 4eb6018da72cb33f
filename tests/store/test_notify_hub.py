"""The notification hub wakes the loop only for topics someone watches, and
its PostgreSQL listener skips the notifications this process sent."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from runyard.store import changefeed
from runyard.store.engine import sqlalchemy_url
from runyard.store.notify import Hub
from runyard.store.pgnotify import Sender


def test_publish_wakes_only_subscribed_topics_and_skips_the_loop_when_none() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        hub = Hub(loop)
        wakeups: list[Any] = []
        original = loop.call_soon_threadsafe

        def counting(callback: Any, *args: Any) -> Any:
            wakeups.append(args)
            return original(callback, *args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign, assignment]
        try:
            hub.publish(["r:1", "w:1"])  # nobody watches: no wake-up of the loop
            assert wakeups == []
            with hub.subscribe("w:1") as sub:
                sub.clear()
                # From another thread, as a thread writer's commit publishes.
                writer = threading.Thread(target=hub.publish, args=(["r:1", "w:1"],))
                writer.start()
                writer.join()
                assert await sub.wait(5)
                assert wakeups == [(["w:1"],)]  # the unwatched topic is dropped
            hub.publish(["w:1"])  # the subscription is gone again
            assert len(wakeups) == 1
        finally:
            loop.call_soon_threadsafe = original  # type: ignore[method-assign]

    asyncio.run(scenario())


def test_the_listener_skips_what_this_process_sent(database_url: str) -> None:
    """A process's own pg_notify (its commits woke their watchers already) is
    not published again; another process's is. PostgreSQL delivers a
    listener's notifications in commit order, so once a later one from
    another connection is published, the earlier one was seen and skipped."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's LISTEN/NOTIFY only")
    dsn = make_url(sqlalchemy_url(database_url)).set(drivername="postgresql")
    plain = dsn.render_as_string(hide_password=False)

    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop())
        published: list[list[str]] = []
        original = hub.publish

        def spy(topics: list[str]) -> None:
            published.append(list(topics))
            original(topics)

        hub.publish = spy  # type: ignore[method-assign]
        sender = Sender(plain, changefeed.CHANNEL)
        with hub.subscribe("w:7") as sub:
            hub.listen(database_url, own=lambda: sender.backend_pid)
            assert await sub.wait(30)  # connected: the listener wakes every watcher once
            sub.clear()
            sender.send(["w:7"])
            for _ in range(300):  # bounded: until the sender's statement ran
                if sender.sent:
                    break
                await asyncio.sleep(0.05)
            assert sender.sent == 1 and sender.backend_pid is not None
            with psycopg.connect(plain, autocommit=True) as other:
                other.execute("SELECT pg_notify(%s, %s)", (changefeed.CHANNEL, "w:7 other"))
            assert await sub.wait(30)
            assert published == [["w:7", "other"]]
        hub.close()
        sender.close()

    asyncio.run(scenario())
