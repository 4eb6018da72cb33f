"""PostgreSQL writes on the event loop.

On store threads a PostgreSQL write released and took back the GIL around
each of its round trips, and sixteen threads doing so beside a busy event
loop spent more on handing the GIL over than on the writes: ~1,400 futex
calls per run lifecycle against ~70 on SQLite, a third of the server's CPU
in the kernel (docs/performance.md). Here a write (CreateRun, the
transitions, RetryRun, AppendRunEvents: the store functions the API passes to
`runyard.api.context.writing`) runs as it does on a thread, but in a greenlet
on the loop (runyard.store.greenlets), and each of its round trips
(runyard.store.statements on runyard.store.pg_script) is awaited there.

The writes take connections from an engine of their own, as many as may run
at once, so a checkout never waits on the loop. A write runs to its end even
if its caller goes away (as one on a thread would), and the caller is
answered after its COMMIT and the change feed's numbering
(runyard.store.sequencer.LoopTurns), as on the thread path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from runyard.store import greenlets

T = TypeVar("T")

# Writes under way on the loop at once (and the connections they keep).
LOOP_WRITES = 16


class PgLoopWrites:
    """The PostgreSQL writes of one event loop (the first that writes;
    another loop's go to threads, `serves`)."""

    def __init__(self, size: int = LOOP_WRITES) -> None:
        self.size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def serves(self, loop: asyncio.AbstractEventLoop) -> bool:
        if self._loop is None or self._loop.is_closed():
            self._loop = loop
            self._slots = asyncio.Semaphore(self.size)
        return self._loop is loop

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) on this loop in the caller's context, answered once it is
        committed and numbered."""
        task = asyncio.get_running_loop().create_task(self._write(fn, args))
        self._tasks.add(task)  # kept until done, even if the caller is not
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    async def _write(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        assert self._slots is not None
        # The slot is held to the end, so no more writes hold connections
        # than the engine keeps.
        async with self._slots:
            return await greenlets.spawn(fn, *args)
