"""The threads store calls run on: a fixed set, as many as the database pool
keeps connections (runyard.store.engine.POOL_SIZE), fed from one queue.

asyncio.to_thread goes through a concurrent.futures.Future (a lock, a
condition and a done-callback per call) and wraps it in an asyncio future;
here a call is a tuple on a queue and its result comes back with one
call_soon_threadsafe, about half the event loop's work per call at 16
callers (docs/performance.md). More threads than connections would only
queue on the pool.

Reads have threads of their own (READ_THREADS): on SQLite a read holds the
GIL for nearly all of its ~0.1 ms, so 16 threads only fight over it (gRPC
ListRuns at 16 callers: ~750 req/s with 16 threads, ~950 with 4, fewer than
with one caller), while writes want many threads, parked on the group
commit, so that one COMMIT carries many of them.

A SQLite read may also run on the event loop itself (`inline_when_alone`):
when it is the only unary call in flight and the same store call took under
INLINE_MAX_S lately. Nobody else is waiting for the loop then, and the hop to
a thread and back (two wake-ups: ~60 µs of one caller's latency, ~130 µs
measured through grpc.aio) is most of what a cheap read adds to a call. A read
that was slow recently (a scan) keeps going to the threads, where SQLite
releases the GIL while it steps and the loop stays free for newcomers."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

from runyard.store.engine import POOL_SIZE
from runyard.store.handoff import fail, post, succeed

T = TypeVar("T")
DEFAULT_THREADS = POOL_SIZE
# A store call runs inline only if it took less than this lately.
INLINE_MAX_S = 0.002
# How fast a slow call's cost is forgotten, per later call of the same function.
_DECAY = 0.9

_Job = tuple[
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
]


class InFlight:
    """How many unary calls the process is serving (kept by the interceptor)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


CALLS = InFlight()


class StoreThreads:
    """Runs blocking calls on `size` daemon threads, started on first use."""

    def __init__(
        self,
        size: int = DEFAULT_THREADS,
        *,
        calls: InFlight = CALLS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.size = size
        self._queue: SimpleQueue[_Job] = SimpleQueue()
        self._started = 0
        self._lock = threading.Lock()
        self.inline_when_alone = False
        self._calls = calls
        self._clock = clock
        # The store function -> its recent cost in seconds (jumps up, decays down).
        self._cost: dict[Any, float] = {}

    def inline(self, fn: Callable[..., Any]) -> bool:
        """Whether `fn` should run on the calling (event loop) thread now."""
        if not self.inline_when_alone or self._calls.count > 1:
            return False
        cost = self._cost.get(getattr(fn, "__func__", fn))
        return cost is not None and cost < INLINE_MAX_S

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) here, in a copy of the caller's context variables (as on a
        thread), its duration noted."""
        started = self._clock()
        try:
            return contextvars.copy_context().run(fn, *args)
        finally:
            self._note(fn, self._clock() - started)

    def _note(self, fn: Callable[..., Any], seconds: float) -> None:
        key = getattr(fn, "__func__", fn)
        # Races between threads only lose an update of an estimate.
        self._cost[key] = max(
            seconds, _DECAY * self._cost.get(key, seconds) + (1 - _DECAY) * seconds
        )

    def resize(self, size: int) -> None:
        """Sets the number of threads; no effect once started (threads never
        stop; a second server in the same process keeps the first's)."""
        with self._lock:
            if not self._started:
                self.size = size

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """The result of fn(*args), run on a thread with the caller's context variables."""
        if self._started < self.size:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, future, contextvars.copy_context(), fn, args))
        return future

    def _start(self) -> None:
        with self._lock:
            while self._started < self.size:
                self._started += 1
                name = f"store-{self._started}"
                threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while True:
            loop, future, context, fn, args = self._queue.get()
            started = self._clock()
            try:
                result = context.run(fn, *args)
            except BaseException as exc:  # handed to the awaiting coroutine
                self._noted(fn, started)
                post(loop, fail, future, exc)
            else:
                self._noted(fn, started)  # before the caller can ask again
                post(loop, succeed, future, result)

    def _noted(self, fn: Callable[..., Any], started: float) -> None:
        if self.inline_when_alone:
            self._note(fn, self._clock() - started)


STORE_THREADS = StoreThreads()
READ_THREADS = StoreThreads()
# Reads on SQLite: few threads (see the module's docstring); on PostgreSQL a
# read mostly waits on the network without the GIL, so as many as the pool.
SQLITE_READ_THREADS = 4
