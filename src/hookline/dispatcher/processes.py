"""Dispatcher processes beside `hookline serve`, for when one core is not enough."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys


def _die_with_parent() -> None:
    # Linux: a SIGKILLed server must not leave dispatchers behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DispatcherProcesses:
    def __init__(self, count: int) -> None:
        self._count = count
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(self._count):
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hookline", "worker"], preexec_fn=_die_with_parent
                )
            )

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
