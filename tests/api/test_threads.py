"""Store calls on runyard.api.threads: results, exceptions and context
variables reach the awaiting coroutine; a cancelled wait leaves the call be."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from runyard.api.threads import StoreThreads

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="")


def test_results_errors_and_context() -> None:
    threads = StoreThreads(3)

    async def main() -> None:
        WHO.set("caller")
        names = await asyncio.gather(
            *(threads.run(lambda: (threading.current_thread().name, WHO.get())) for _ in range(20))
        )
        assert {who for _, who in names} == {"caller"}
        assert {name for name, _ in names} <= {"store-1", "store-2", "store-3"}
        assert await threads.run(pow, 2, 10) == 1024
        with pytest.raises(ZeroDivisionError):
            await threads.run(lambda: 1 // 0)
        release = threading.Event()
        waiting = asyncio.ensure_future(threads.run(release.wait, 30))
        await asyncio.sleep(0)
        waiting.cancel()
        release.set()
        assert await threads.run(str, 7) == "7"

    asyncio.run(main())


def test_resize_before_first_use_only() -> None:
    threads = StoreThreads(3)
    threads.resize(1)

    async def main() -> set[str]:
        names = await asyncio.gather(
            *(threads.run(lambda: threading.current_thread().name) for _ in range(10))
        )
        threads.resize(5)  # started: no effect
        names += await asyncio.gather(
            *(threads.run(lambda: threading.current_thread().name) for _ in range(10))
        )
        return set(names)

    assert asyncio.run(main()) == {"store-1"}
    assert threads.size == 1
