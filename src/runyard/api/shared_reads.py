"""Watchers woken by the same commit at the same resume point share one read.

A read may be joined only by a watcher that cleared its wake-up flag before
the read started: such a read sees every commit whose notification the
watcher consumed. A read started earlier might not, so a watcher that cleared
later starts a read of its own instead of joining it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedReads(Generic[T]):
    def __init__(self) -> None:
        self._tick = 0
        self._inflight: dict[Hashable, tuple[int, asyncio.Future[T]]] = {}

    def mark(self) -> int:
        """Taken when a watcher clears its flag; pass it to `read`."""
        return self._tick

    async def read(self, key: Hashable, mark: int, load: Callable[[], T]) -> T:
        """`load()` on a worker thread, or the result of a running one that started after
        `mark`."""
        running = self._inflight.get(key)
        if running is not None and running[0] > mark:
            return await asyncio.shield(running[1])
        self._tick += 1
        future: asyncio.Future[T] = asyncio.ensure_future(asyncio.to_thread(load))
        entry = (self._tick, future)
        self._inflight[key] = entry

        def done(_: asyncio.Future[T]) -> None:
            if self._inflight.get(key) is entry:
                del self._inflight[key]

        future.add_done_callback(done)
        return await asyncio.shield(future)
