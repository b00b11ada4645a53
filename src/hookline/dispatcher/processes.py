"""Dispatcher processes beside `hookline serve`, for when one core is not enough.

Each is handed the write end of a pipe and writes one byte to it once its dispatcher listens
for wake-ups; until every one has, the server does not call itself ready (`/api/status`). Once
it has, a process that dies does not make it unready again: the events accepted meanwhile wait
in the database for its replacement, and a health check that restarted the server for it would
only stop the API too.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

from hookline.dispatcher.backoff import Backoff

log = logging.getLogger("hookline.dispatcher")

_CHECK_EVERY = 0.5  # seconds

PARENT_PID = "HOOKLINE_PARENT_PID"  # the server a dispatcher process belongs to
READY_FD = "HOOKLINE_READY_FD"  # where a dispatcher process says that it listens
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """In a dispatcher process: end with the server that started it, even a SIGKILLed one.

    Done here rather than between fork and exec in the server: it runs threads, and a child
    forked from them may deadlock before it reaches exec."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: nothing tells a dispatcher that its server is gone
    if os.getppid() != parent_pid:
        # The server died before the line above: no signal will come.
        raise SystemExit(0)


async def report_ready(ready: asyncio.Event) -> None:
    """In a dispatcher process started by `hookline serve`: tell it once `ready` is set."""
    fd = os.environ.get(READY_FD)
    if fd is None:
        return  # started by hand: nobody waits
    await ready.wait()
    with contextlib.suppress(OSError):  # the server is gone
        os.write(int(fd), b"+")
    os.close(int(fd))


class _Slot:
    """One dispatcher process, whether one in this slot has ever said it is ready, and how
    long to wait before replacing it if it dies early."""

    def __init__(self) -> None:
        self.ready = False  # never False again once True
        self._pipe: int | None = None
        self.process = self._spawn()
        self.started = time.monotonic()
        # Before starting one that died again; none after a long life (it died of something
        # new), and one that dies at once (a bad setting, a database away) is not started in
        # a loop.
        self.backoff = Backoff(first=1.0, longest=60.0, after_stable=0.0)
        self.restart_at: float | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        # From the server's event loop thread: the parent-death signal comes when the thread
        # that started the process ends, not the process.
        self.close()
        readable, writable = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "hookline", "worker"],
                env={**os.environ, PARENT_PID: str(os.getpid()), READY_FD: str(writable)},
                pass_fds=(writable,),
            )
        except BaseException:
            os.close(readable)
            raise
        finally:
            os.close(writable)  # the process holds it now: its end is the pipe's end
        self._pipe = readable
        asyncio.get_running_loop().add_reader(readable, self._said, readable)
        return process

    def _said(self, pipe: int) -> None:
        # One byte: the dispatcher listens. Nothing: the process ended before it did.
        if os.read(pipe, 1) == b"+":
            self.ready = True
            log.info(
                "dispatcher process ready",
                extra={"action": "dispatcher_ready", "pid": self.process.pid},
            )
        self.close()

    def close(self) -> None:
        if self._pipe is not None:
            asyncio.get_running_loop().remove_reader(self._pipe)
            os.close(self._pipe)
            self._pipe = None

    def check(self, now: float) -> None:
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            delay = self.backoff.next(lived=now - self.started)
            self.restart_at = now + delay
            log.warning(
                "dispatcher process exited; starting another",
                extra={
                    "action": "restart_dispatcher",
                    "pid": self.process.pid,
                    "exit_code": code,
                    "delay_s": delay,
                },
            )
        if now < self.restart_at:
            return
        try:
            process = self._spawn()
        except Exception:
            # Out of processes or memory for a moment, most likely.
            delay = self.backoff.next()
            self.restart_at = now + delay
            log.exception(
                "could not start a dispatcher process; trying again",
                extra={"action": "restart_dispatcher", "delay_s": delay},
            )
            return
        self.process, self.started, self.restart_at = process, now, None


class DispatcherProcesses:
    """`count` dispatcher processes, each started again when it dies (its leases are taken
    over at once: a dispatcher releases those of dead processes of its host when it starts)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._slots: list[_Slot] = []
        self._stopping = False

    @property
    def ready(self) -> bool:
        """Every process has listened for wake-ups once: an event committed from then on is
        sent at once, or, while a dead process is being replaced, when its replacement starts."""
        return all(slot.ready for slot in self._slots)

    def start(self) -> None:
        """From the main thread, once the web server has installed its signal handlers."""
        self._notice_stop_signals()
        self._slots = [_Slot() for _ in range(self._count)]

    def _notice_stop_signals(self) -> None:
        # Ctrl-C or systemd signal the whole process group: the processes exit (with 0) as the
        # server stops, which may take a while draining its requests; none is replaced then.
        for sig in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(sig)
            if callable(handler):
                signal.signal(sig, functools.partial(self._stop_signalled, handler))

    def _stop_signalled(
        self, handler: Callable[[int, FrameType | None], object], sig: int, frame: FrameType | None
    ) -> None:
        self._stopping = True
        handler(sig, frame)

    async def watch(self) -> None:
        """Runs until cancelled, or until the server is signalled to stop."""
        while True:
            await asyncio.sleep(_CHECK_EVERY)
            if self._stopping:
                return
            now = time.monotonic()
            for slot in self._slots:
                slot.check(now)

    def stop(self) -> None:
        for slot in self._slots:
            slot.close()
        processes = [slot.process for slot in self._slots]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
