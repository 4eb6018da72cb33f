"""Synchronous store code run on the event loop, its I/O awaited there.

The store's write functions are plain functions of a SQLAlchemy connection.
`spawn` runs one in a greenlet of the loop's thread; where it would block on
the network it calls `wait(awaitable)`, which switches back to the coroutine
that spawned it, awaits there (the loop serves other calls meanwhile) and
switches in again with the result. The same code thus runs on a store thread
(blocking driver calls) or on the loop (awaited ones) without two copies of
it; SQLAlchemy's asyncio extension is built the same way.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

T = TypeVar("T")


class _Spawned(greenlet):  # type: ignore[misc]
    """A greenlet started by `spawn` (so `wait` knows it may switch out)."""


async def spawn(fn: Callable[..., T], *args: Any) -> T:
    """fn(*args) in a greenlet of this thread, in a copy of the caller's
    context variables; the awaitables it hands to `wait` are awaited here."""
    context = contextvars.copy_context()
    child = _Spawned(context.run)
    handed = child.switch(fn, *args)
    while not child.dead:
        try:
            value = await handed
        except BaseException as exc:  # raised where the child waits
            handed = child.throw(exc)
        else:
            handed = child.switch(value)
    return handed  # type: ignore[no-any-return]


def active() -> bool:
    """Whether the caller runs in a greenlet started by `spawn`."""
    return isinstance(getcurrent(), _Spawned)


def wait(awaitable: Awaitable[T]) -> T:
    """The result of `awaitable`, awaited by the coroutine that spawned this
    greenlet (only inside `spawn`)."""
    current = getcurrent()
    if not isinstance(current, _Spawned):
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never to be awaited
        raise RuntimeError("wait() outside a greenlet started by spawn()")
    return current.parent.switch(awaitable)  # type: ignore[no-any-return]
