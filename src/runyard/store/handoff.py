"""Results handed from a worker thread to a coroutine waiting on its event loop
(one call_soon_threadsafe per result, no concurrent.futures.Future)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any


def post(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> None:
    """fn(*args) on `loop`, soon; nothing if the loop has closed meanwhile
    (then nobody waits for the result)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)


def succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)
