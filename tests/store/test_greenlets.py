"""Synchronous code on the event loop (runyard.store.greenlets): its waits are
awaited by the spawning coroutine, results and errors cross both ways, and
context variables are the caller's."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from runyard.store import greenlets

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def _later(value: Any, delay: float = 0.0) -> Any:
    await asyncio.sleep(delay)
    return value


async def _fails() -> None:
    await asyncio.sleep(0)
    raise KeyError("from the awaitable")


def test_results_and_waits() -> None:
    def work(a: int, b: int) -> tuple[int, bool, bool]:
        total = a + greenlets.wait(_later(b)) + greenlets.wait(_later(100))
        return total, greenlets.active(), bool(asyncio.get_running_loop())

    assert asyncio.run(greenlets.spawn(work, 1, 2)) == (103, True, True)
    assert not greenlets.active()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("raises", ValueError),  # the function's own error reaches the caller
        ("awaitable fails", KeyError),  # raised where it waited, uncaught
        ("caught", None),  # raised where it waited, caught there
    ],
)
def test_errors_cross_both_ways(case: str, expected: type[BaseException] | None) -> None:
    def work() -> str:
        if case == "raises":
            greenlets.wait(_later(None))
            raise ValueError("own")
        if case == "awaitable fails":
            greenlets.wait(_fails())
        try:
            greenlets.wait(_fails())
        except KeyError:
            return "recovered"
        return "not reached"

    if expected is None:
        assert asyncio.run(greenlets.spawn(work)) == "recovered"
    else:
        with pytest.raises(expected):
            asyncio.run(greenlets.spawn(work))


def test_spawned_calls_interleave() -> None:
    order: list[str] = []

    def work(name: str, delay: float) -> str:
        order.append(f"{name} starts")
        greenlets.wait(_later(None, delay))
        order.append(f"{name} ends")
        return name

    async def main() -> list[str]:
        return await asyncio.gather(
            greenlets.spawn(work, "slow", 0.05), greenlets.spawn(work, "fast", 0)
        )

    assert asyncio.run(main()) == ["slow", "fast"]
    assert order == ["slow starts", "fast starts", "fast ends", "slow ends"]


def test_context_variables_are_the_callers() -> None:
    def work() -> str:
        seen = WHO.get()
        WHO.set("changed inside")  # a copy: the caller's value stays
        greenlets.wait(_later(None))
        return seen + " / " + WHO.get()

    async def main() -> tuple[str, str]:
        WHO.set("caller")
        inside = await greenlets.spawn(work)
        return inside, WHO.get()

    assert asyncio.run(main()) == ("caller / changed inside", "caller")


def test_wait_outside_spawn_is_refused() -> None:
    with pytest.raises(RuntimeError):
        greenlets.wait(_later(1))
