"""Waiting for a condition, never for a length of time. The only sleeps of the suite's own
code are here: between two looks at a condition within a deadline, and in the two clocks
that some tests take as their input (`idle`, `Ticker`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

POLL = 0.02  # seconds between two looks: often enough that a test waits little past its signal


def wait_until(condition: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Look at `condition` until it gives something true, and return that; fail the test,
    naming `what` it waited for, once `timeout` seconds have passed without."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(POLL)
    return result


def wait_for_line(log: Path, text: str, count: int = 1, timeout: float = 10.0) -> str:
    """Wait until `text` shows in the file `log` (a process's output) `count` times; return
    the file's text then."""

    def shown() -> str | None:
        seen = log.read_text()
        return seen if seen.count(text) >= count else None

    return wait_until(shown, f"{text!r} {count}x in {log.name}", timeout)


async def idle(seconds: float) -> None:
    """Let `seconds` pass with nothing going on, for a test of what a program does after a
    quiet spell. Not a way to wait for something to happen: that is `wait_until`."""
    await asyncio.sleep(seconds)


class Ticker:
    """Counts the event loop's turns, one a millisecond: while something blocks the loop,
    the count stands still."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.001)

    async def reach(self, ticks: int, timeout: float = 10.0) -> None:
        """Return once the loop has turned `ticks` times since the ticker started."""
        async with asyncio.timeout(timeout):
            while self.ticks < ticks:
                await asyncio.sleep(0.001)

    def stop(self) -> None:
        self._task.cancel()
