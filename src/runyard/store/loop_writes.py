"""SQLite writes on the event loop, each COMMIT on a thread.

A SQLite write's statements take microseconds and hold the GIL throughout, so
running them on a store thread only adds a hop there and back and a fight
for the GIL with the loop. Here a write (a store function that calls
Database.write) runs on the loop itself, inside the process's commit group
(runyard.store.group_commit): its own savepoint, as a thread writer's. The
group's BEGIN IMMEDIATE (which may wait for another process's lock) and its
COMMIT (the fsync) run on a thread of their own, and meanwhile the loop serves
calls and queues the writes that arrive; they go into the next group, in one
pass, so one COMMIT carries every write that came during the last one.

A write's caller is answered only after the COMMIT that holds its write
(results and errors alike: an error may rest on another write of the group);
if that COMMIT fails, or a failure took the group's transaction with it, every
write of the group gets UNAVAILABLE, and with a request_id its retry applies
once. Change topics are announced after the COMMIT (GroupCommitter.later).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from runyard.aip.errors import ApiError, unavailable
from runyard.store.group_commit import GroupCommitter

log = logging.getLogger(__name__)
T = TypeVar("T")

_Job = tuple[Callable[..., Any], tuple[Any, ...], contextvars.Context, "asyncio.Future[Any]"]


class LoopWrites:
    """The write queue of one event loop (the first that writes; another loop's
    writes go to threads, `serves`)."""

    def __init__(self, committer: GroupCommitter) -> None:
        self._committer = committer
        self._queue: deque[_Job] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._driver: asyncio.Task[None] | None = None
        # BEGIN and COMMIT: one at a time, so one thread.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")

    def serves(self, loop: asyncio.AbstractEventLoop) -> bool:
        if self._loop is None or self._loop.is_closed():
            self._loop = loop
        return self._loop is loop

    def close(self) -> None:
        self._thread.shutdown(wait=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) on this loop in the caller's context, answered once durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((fn, args, contextvars.copy_context(), future))
        if self._driver is None:
            self._driver = loop.create_task(self._drive())
        return await future

    async def _drive(self) -> None:
        try:
            while self._queue:
                await self._one_group()
        finally:
            self._driver = None

    async def _one_group(self) -> None:
        loop = asyncio.get_running_loop()
        committer = self._committer
        try:
            group = await _on_thread(loop, self._thread, committer.open_group, committer.release)
        except Exception as exc:
            self._fail_queued(exc)
            return
        done: list[tuple[asyncio.Future[Any], bool, Any]] = []
        committed = False
        try:
            committer.hold(threading.get_ident())
            try:
                while self._queue and not group.failed and not committer.full():
                    fn, args, context, future = self._queue.popleft()
                    try:
                        done.append((future, True, context.run(fn, *args)))
                    except Exception as exc:  # the caller's answer, after the COMMIT
                        done.append((future, False, exc))
                committer.finish_group()
            finally:
                committer.hold(None)
            committed = True  # commit_group gives up the turn, even if cancelled meanwhile
            await _on_thread(loop, self._thread, committer.commit_group, None)
        finally:
            if not committed:
                committer.release()
        _answer(done, group.failed)
        if not group.failed:
            for after in group.after:
                after()

    def _fail_queued(self, exc: Exception) -> None:
        """No group could be opened (the turn or BEGIN timed out, the database
        is gone): the writes waiting now are refused, retryably."""
        if not isinstance(exc, ApiError):
            log.warning("SQLite write group not opened: %s", type(exc).__name__, exc_info=True)
            exc = unavailable("the database is unavailable; retry shortly")
        while self._queue:
            future = self._queue.popleft()[3]
            if not future.done():
                future.set_exception(exc)


async def _on_thread(
    loop: asyncio.AbstractEventLoop,
    pool: ThreadPoolExecutor,
    fn: Callable[[], T],
    undo: Callable[[], None] | None,
) -> T:
    """fn() on `pool`. If the awaiting task is cancelled, fn still finishes
    there; `undo` then gives back what it took (the turn)."""
    pending = loop.run_in_executor(pool, fn)
    try:
        return await asyncio.shield(pending)
    except asyncio.CancelledError:
        if undo is not None:
            pending.add_done_callback(lambda f: f.exception() is None and undo())
        raise


def _answer(done: list[tuple[asyncio.Future[Any], bool, Any]], failed: bool) -> None:
    for future, ok, value in done:
        if future.done():
            continue  # the caller went away
        if failed:
            future.set_exception(unavailable("the database is unavailable; retry shortly"))
        elif ok:
            future.set_result(value)
        else:
            future.set_exception(value)
