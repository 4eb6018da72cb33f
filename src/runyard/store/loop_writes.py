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
from functools import partial
from queue import SimpleQueue
from typing import Any, TypeVar

from runyard.aip.errors import ApiError, unavailable
from runyard.store.group_commit import Group, GroupCommitter
from runyard.store.handoff import fail, post

log = logging.getLogger(__name__)
T = TypeVar("T")

_Job = tuple[Callable[..., Any], tuple[Any, ...], contextvars.Context, "asyncio.Future[Any]"]
_Call = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class LoopWrites:
    """The write queue of one event loop (the first that writes; another loop's
    writes go to threads, `serves`)."""

    def __init__(self, committer: GroupCommitter) -> None:
        self._committer = committer
        self._queue: deque[_Job] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._driver: asyncio.Task[None] | None = None
        # BEGIN and COMMIT, one at a time on one thread (started on first use).
        self._calls: SimpleQueue[_Call | None] = SimpleQueue()
        self._thread: threading.Thread | None = None

    def serves(self, loop: asyncio.AbstractEventLoop) -> bool:
        if self._loop is None or self._loop.is_closed():
            self._loop = loop
        return self._loop is loop

    def close(self) -> None:
        if self._thread is not None:
            self._calls.put(None)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) on this loop in the caller's context, answered once durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((fn, args, contextvars.copy_context(), future))
        if self._driver is None:
            self._driver = loop.create_task(self._drive())
        return await future

    async def _drive(self) -> None:
        committer = self._committer
        group: Group | None = None  # open, its turn held by this loop
        try:
            while self._queue:
                if group is None:
                    try:
                        group = await self._on_thread(committer.open_group)
                    except Exception as exc:
                        self._fail_queued(exc)
                        return
                # _one_group hands the turn on (COMMIT) and may take a new one.
                current, group = group, None
                group = await self._one_group(current)
        finally:
            if group is not None:  # cancelled with the turn held: hand it on
                committer.release()
            self._driver = None

    async def _one_group(self, group: Group) -> Group | None:
        """Runs the queued writes in `group`, commits it and answers them; the
        next group if the COMMIT opened one (more writes were waiting)."""
        committer = self._committer
        done: list[tuple[asyncio.Future[Any], bool, Any]] = []
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
        queue = self._queue
        try:
            following = await self._on_thread(partial(committer.commit_group, lambda: bool(queue)))
        except asyncio.CancelledError:
            raise  # shutting down: nobody is answered before a COMMIT
        except Exception:
            log.warning("SQLite group COMMIT not made; its writers retry", exc_info=True)
            _answer(done, failed=True)
            return None
        _answer(done, group.failed)
        if not group.failed:
            for after in group.after:
                after()
        return following

    def _on_thread(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """fn() on the commit thread. If its caller is cancelled meanwhile, fn
        still finishes there, and a group it returns is handed on."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="sqlite-commit", daemon=True)
            self._thread.start()
        self._calls.put((loop, future, fn))
        return future

    def _work(self) -> None:
        while True:
            call = self._calls.get()
            if call is None:
                return
            loop, future, fn = call
            try:
                result = fn()
            except BaseException as exc:  # handed to the awaiting coroutine
                post(loop, fail, future, exc)
            else:
                post(loop, _succeed, future, result, self._committer)

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


def _succeed(future: asyncio.Future[Any], result: Any, committer: GroupCommitter) -> None:
    if not future.cancelled():
        future.set_result(result)
    elif isinstance(result, Group):
        committer.release()  # the driver went away holding a new group


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
