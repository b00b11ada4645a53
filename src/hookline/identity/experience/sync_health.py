"""How each synchronous hook has answered lately, in this process: a hook that gave no usable
answer (a timeout, a refused connection, an unreadable body) to most of its calls over the
last five minutes is reported in the logs, at most once a minute, as flows wait on it."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("hookline.sync_hooks")

WINDOW_S = 300.0
MIN_CALLS = 5  # fewer say nothing of a trend
REPORT_EVERY_S = 60.0


class SyncHealth:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._calls: dict[str, deque[tuple[float, bool]]] = {}
        self._reported: dict[str, float] = {}

    def note(self, hook_id: str, failed: bool) -> bool:
        """Count one call; True when it made the hook's report due (and logged it)."""
        now = self._clock()
        calls = self._calls.setdefault(hook_id, deque())
        calls.append((now, failed))
        while calls and calls[0][0] < now - WINDOW_S:
            calls.popleft()
        failures = sum(1 for _, f in calls if f)
        if len(calls) < MIN_CALLS or failures * 2 <= len(calls):
            return False
        if now - self._reported.get(hook_id, -REPORT_EVERY_S) < REPORT_EVERY_S:
            return False
        self._reported[hook_id] = now
        log.warning(
            "synchronous hook gave no usable answer to most calls in 5 minutes",
            extra={
                "action": "sync_hook_failing",
                "hook_id": hook_id,
                "failed": failures,
                "calls": len(calls),
            },
        )
        return True


health = SyncHealth()
