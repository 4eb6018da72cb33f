"""Store calls on runyard.api.threads: results, exceptions and context
variables reach the awaiting coroutine; a cancelled wait leaves the call be."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from runyard.api.threads import InFlight, StoreThreads

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


class _Clock:
    """A clock each store call advances by `step` seconds (no real time read)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.step = 0.0001

    def __call__(self) -> float:
        self.now += self.step / 2
        return self.now


def test_inline_only_when_alone_and_cheap_lately() -> None:
    calls = InFlight()
    clock = _Clock()
    threads = StoreThreads(2, calls=calls, clock=clock)
    threads.inline_when_alone = True

    def where() -> str:
        return threading.current_thread().name

    async def read() -> str:
        if threads.inline(where):
            return threads.call(where)
        return await threads.run(where)

    async def main() -> list[str]:
        loop_thread = threading.current_thread().name
        seen = []
        calls.count = 1
        seen.append(await read())  # cost unknown yet: a thread
        seen.append(await read())  # cheap and alone: on the loop
        calls.count = 2
        seen.append(await read())  # another call in flight: a thread
        calls.count = 1
        clock.step = 1.0  # this call is slow ...
        seen.append(await read())
        clock.step = 0.0001
        seen.append(await read())  # ... so the next ones go to a thread
        for _ in range(200):  # until the slow one is forgotten (bounded)
            if await read() == loop_thread:
                break
        seen.append(await read())
        return [name == loop_thread for name in seen]

    assert asyncio.run(main()) == [False, True, False, True, False, True]


def test_inline_keeps_context_and_errors() -> None:
    threads = StoreThreads(1, calls=InFlight())

    def set_who() -> str:
        WHO.set("inside")
        return WHO.get()

    assert threads.call(set_who) == "inside"
    assert WHO.get() == ""  # the store call's context variables stay its own
    with pytest.raises(ZeroDivisionError):
        threads.call(lambda: 1 // 0)
    assert not threads.inline(set_who)  # off unless the server turns it on


def test_serve_turns_inline_reads_off_with_a_flag() -> None:
    from runyard.cli import _parser

    assert _parser().parse_args(["serve"]).inline_reads is True
    assert _parser().parse_args(["serve", "--no-inline-reads"]).inline_reads is False
