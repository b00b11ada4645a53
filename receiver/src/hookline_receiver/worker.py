"""The worker: hands the inbox's events to the application's handler, one at a time, until
the handler returns, with exponential back-off between failures."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hookline_receiver.inbox import Event, Inbox, InboxUnavailable

log = logging.getLogger("hookline_receiver")

Handler = Callable[[Event], Any]
"""Called with each event; returns (or, if it is a coroutine function, completes) when done
with it. Raising hands the event out again later. It may be called more than once for an
event (a crash before its success was stored): make it safe to repeat."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """The delay after the n-th failed attempt: `first * factor**(n-1)`, at most `most`."""

    first: float = 1.0
    factor: float = 2.0
    most: float = 3600.0

    def delay(self, attempt: int) -> float:
        return min(self.first * self.factor ** (attempt - 1), self.most)


class Worker:
    """Hands `inbox`'s due events to `handler`. An event is handed out again after a failure
    (per `backoff`; after `max_attempts` attempts, if given, it is given up and its subject's
    next event may go), or after `lease` seconds without an answer (its worker died); never
    after its handler returned. The next event of a subject waits for the one before.

    While the handler runs, its lease is renewed every `renew_every` seconds (a third of the
    lease unless told), so no other worker takes the event however long it runs; `lease`
    bounds how long an event waits after its worker died. Several workers, in threads or
    processes, may share one inbox."""

    def __init__(
        self,
        inbox: Inbox,
        handler: Handler,
        *,
        lease: float = 300.0,
        backoff: Backoff = Backoff(),  # noqa: B008 (frozen: one shared value is fine)
        max_attempts: int | None = None,
        poll: float = 1.0,
        renew_every: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inbox = inbox
        self.handler = handler
        self.lease = lease
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.poll = poll  # how often to look for events stored by other processes
        self.renew_every = lease / 3 if renew_every is None else renew_every
        self.clock = clock
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def run_once(self) -> bool:
        """Hand out one due event, if there is one; True if there was."""
        event = self.inbox.claim(lease=self.lease, now=self.clock())
        if event is None:
            return False
        try:
            with self._renewing(event):
                self._call(event)
        except Exception as error:  # the handler's failure, whatever it is: try again later
            self._failed(event, error)
        else:
            self.inbox.succeeded(event, now=self.clock())
        return True

    def run(self) -> None:
        """Hand out events until `stop()`, waiting for new ones in between."""
        try:
            while not self._stopping.is_set():
                seen = self.inbox.changes()
                try:
                    if self.run_once():
                        continue
                    due = self.inbox.next_due()
                except InboxUnavailable as error:  # say, locked too long: try again later
                    log.error("inbox unavailable: %s", error, extra={"action": "inbox_unavailable"})
                    due = None
                wait = self.poll if due is None else min(self.poll, due - self.clock())
                if wait > 0:
                    self.inbox.wait_for_change(seen, wait)
        finally:
            if self._loop is not None:
                self._loop.close()
                self._loop = None
            self.inbox.close()

    def start(self) -> threading.Thread:
        """`run()` in a daemon thread of its own; returns the thread."""
        thread = threading.Thread(target=self.run, name="hookline-receiver-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop `run()` once the handler call in progress returns."""
        self._stopping.set()
        self.inbox.wake()

    def _call(self, event: Event) -> None:
        result = self.handler(event)
        if inspect.isawaitable(result):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(result)

    @contextmanager
    def _renewing(self, event: Event) -> Iterator[None]:
        """Keep `event`'s lease while the block runs, from a thread of its own: the handler,
        sync or async, blocks this one."""
        finished = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(event, finished), name="hookline-receiver-lease", daemon=True
        )
        renewer.start()
        try:
            yield
        finally:
            finished.set()
            renewer.join()  # no renewal after the outcome is stored

    def _renew(self, event: Event, finished: threading.Event) -> None:
        try:
            while not finished.wait(self.renew_every):
                try:
                    held = self.inbox.extend(event, lease=self.lease, now=self.clock())
                except InboxUnavailable as error:  # the lease may last until the next turn
                    log.error("inbox unavailable: %s", error, extra={"action": "inbox_unavailable"})
                    continue
                if not held:
                    # This worker stalled past its lease (a paused process, a long lock) and
                    # another took the event: the handler runs twice. A failure here leaves the
                    # event to the other claim; a success still counts, the event was handled.
                    log.warning(
                        "lease lost, the event was handed out again",
                        extra={
                            "action": "lease_lost",
                            "webhook_id": event.id,
                            "attempt": event.attempt,
                        },
                    )
                    return
        finally:
            self.inbox.close()  # this thread's connection, if it opened one

    def _failed(self, event: Event, error: Exception) -> None:
        # The error's type and text, never the body: it may hold personal data.
        message = f"{type(error).__name__}: {error}"
        now = self.clock()
        if self.max_attempts is not None and event.attempt >= self.max_attempts:
            retry_at, then = None, "given up"
        else:
            delay = self.backoff.delay(event.attempt)
            retry_at, then = now + delay, f"again in {delay:.1f} s"
        self.inbox.failed(event, message, retry_at=retry_at, now=now)
        log.warning(
            "handler failed, %s",
            then,
            extra={
                "action": "handler_failed",
                "webhook_id": event.id,
                "attempt": event.attempt,
                "error": message,
            },
        )
