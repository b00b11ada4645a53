"""Waiting for a condition, never for a length of time. The only sleeps of the suite's own
code are here, between two looks at a condition, within a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

POLL = 0.05  # seconds between two looks


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
