"""The notification hub wakes the loop only for topics someone watches."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from runyard.store.notify import Hub


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
