"""Helpers of the tests that drive asyncio code (the buses): run a coroutine with a deadline,
wait for a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def run(coro, timeout_s: float = 30.0):
    """Run ``coro`` to its end in a new event loop, failing after ``timeout_s``."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def until(pred: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Wait until ``pred()`` holds; AssertionError after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not pred():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
