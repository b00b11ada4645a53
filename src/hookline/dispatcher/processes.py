"""Dispatcher processes beside `hookline serve`, for when one core is not enough."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger("hookline.dispatcher")

_CHECK_EVERY = 0.5  # seconds
_FIRST_DELAY, _LONGEST_DELAY = 1.0, 60.0  # before starting one that died again
_STABLE_AFTER = 30.0  # a process that lived this long died of something new: no waiting


def _die_with_parent() -> None:
    # Linux: a SIGKILLed server must not leave dispatchers behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class _Slot:
    """One dispatcher process, and how long to wait before replacing it if it dies early."""

    def __init__(self) -> None:
        self.process = self._spawn()
        self.started = time.monotonic()
        self.delay = 0.0
        self.restart_at: float | None = None

    @staticmethod
    def _spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "hookline", "worker"], preexec_fn=_die_with_parent
        )

    def check(self, now: float) -> None:
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            lived = now - self.started
            # One that dies at once (a bad setting, a database away) is not started in a loop.
            self.delay = 0.0 if lived >= _STABLE_AFTER else max(_FIRST_DELAY, self.delay * 2)
            self.delay = min(self.delay, _LONGEST_DELAY)
            self.restart_at = now + self.delay
            log.warning(
                "dispatcher process exited; starting another",
                extra={
                    "action": "restart_dispatcher",
                    "pid": self.process.pid,
                    "exit_code": code,
                    "delay_s": self.delay,
                },
            )
        if now >= self.restart_at:
            self.process, self.started, self.restart_at = self._spawn(), now, None


class DispatcherProcesses:
    """`count` dispatcher processes, each started again when it dies (its leases are taken
    over at once: a dispatcher releases those of dead processes of its host when it starts)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._slots: list[_Slot] = []

    def start(self) -> None:
        self._slots = [_Slot() for _ in range(self._count)]

    async def watch(self) -> None:
        """Runs until cancelled."""
        while True:
            await asyncio.sleep(_CHECK_EVERY)
            now = time.monotonic()
            for slot in self._slots:
                slot.check(now)

    def stop(self) -> None:
        processes = [slot.process for slot in self._slots]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
