"""The worker on a real inbox file, with a clock the test moves: retries with exponential
back-off until the handler returns, then never again; a lease renewed while the handler runs
and that runs out after a dead worker."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from hookline_receiver import Backoff, Event, Inbox, Worker
from inbox_requests import Clock, received


class Flaky:
    """A handler that raises for the first `failures` calls of each event; records each call."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[tuple[str, int]] = []

    def __call__(self, event: Event) -> None:
        self.calls.append((event.id, event.attempt))
        if event.attempt <= self.failures:
            raise RuntimeError(f"attempt {event.attempt}")


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox.db")


def store(inbox: Inbox, clock: Clock, msg_id: str, **ordering: object) -> None:
    inbox.store(received(b"{}", msg_id, **ordering), now=clock())  # type: ignore[arg-type]


def drain(worker: Worker) -> int:
    """Hand out what is due now; how many were handed out."""
    count = 0
    while worker.run_once():
        count += 1
    return count


def test_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff(first=0.5, factor=2, most=3)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]


def test_a_failing_event_is_tried_again_after_each_delay_until_it_succeeds(inbox: Inbox) -> None:
    clock, handler = Clock(), Flaky(failures=3)
    worker = Worker(inbox, handler, backoff=Backoff(first=1, factor=2), clock=clock)
    store(inbox, clock, "m")
    for delay in (1, 2, 4):  # after attempts 1, 2 and 3
        assert drain(worker) == 1
        clock.advance(delay - 0.01)
        assert drain(worker) == 0, "too early"
        clock.advance(0.01)
    assert drain(worker) == 1
    assert handler.calls == [("m", 1), ("m", 2), ("m", 3), ("m", 4)]
    clock.advance(10_000)
    assert drain(worker) == 0, "handed out after it succeeded"
    assert inbox.counts()["done"] == 1


def test_after_max_attempts_an_event_is_given_up_and_its_subject_goes_on(inbox: Inbox) -> None:
    clock, handler = Clock(), Flaky(failures=99)
    worker = Worker(inbox, handler, max_attempts=2, backoff=Backoff(first=1), clock=clock)
    store(inbox, clock, "a1", subject="user:a", sequence=1)
    store(inbox, clock, "a2", subject="user:a", sequence=2)
    drain(worker)
    clock.advance(1)
    drain(worker)
    assert handler.calls == [("a1", 1), ("a1", 2), ("a2", 1)]
    assert inbox.counts()["failed"] == 1


def test_a_subjects_next_event_waits_for_the_retries_of_the_one_before(inbox: Inbox) -> None:
    clock, handler = Clock(), Flaky(failures=1)
    worker = Worker(inbox, handler, backoff=Backoff(first=5), clock=clock)
    store(inbox, clock, "a1", subject="user:a", sequence=1)
    store(inbox, clock, "a2", subject="user:a", sequence=2)
    store(inbox, clock, "b1", subject="user:b", sequence=1)
    drain(worker)
    assert handler.calls == [("a1", 1), ("b1", 1)]
    clock.advance(5)
    drain(worker)
    clock.advance(5)
    drain(worker)
    of_a = [call for call in handler.calls if call[0].startswith("a")]
    assert of_a == [("a1", 1), ("a1", 2), ("a2", 1), ("a2", 2)]
    assert ("b1", 2) in handler.calls


def test_an_event_whose_worker_died_is_handed_out_when_its_lease_runs_out(inbox: Inbox) -> None:
    clock = Clock()
    store(inbox, clock, "m")
    # A worker process took it and died in its handler: nothing says so but time (no renewal).
    pid = os.fork()
    if pid == 0:
        try:
            Worker(inbox, lambda event: os._exit(0), lease=60, clock=clock).run_once()
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the worker did not die in its handler"
    handler = Flaky()
    worker = Worker(Inbox(inbox.path), handler, lease=60, clock=clock)
    clock.advance(59)
    assert drain(worker) == 0
    clock.advance(1)
    assert drain(worker) == 1
    assert handler.calls == [("m", 2)]


class Renewals(Inbox):
    """An inbox that tells when its leases are renewed: the times and outcomes of `extend`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.renewals: list[tuple[float, bool]] = []
        self.renewed = threading.Condition()

    def extend(self, event: Event, *, lease: float, now: float | None = None) -> bool:
        held = super().extend(event, lease=lease, now=now)
        with self.renewed:
            self.renewals.append((now or 0.0, held))
            self.renewed.notify_all()
        return held

    def renewed_at(self, now: float) -> bool:
        """Wait for a renewal at `now` or later that held."""
        with self.renewed:
            return self.renewed.wait_for(
                lambda: any(at >= now and held for at, held in self.renewals), timeout=10
            )


class Blocking:
    """A handler that waits for `release`, then raises if told to."""

    def __init__(self, fail: bool = False) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.fail, self.calls = fail, 0

    def __call__(self, event: Event) -> None:
        self.calls += 1
        self.started.set()
        assert self.release.wait(10), "never released"
        if self.fail:
            raise RuntimeError("too late")


def test_a_handler_slower_than_its_lease_keeps_its_event(inbox: Inbox) -> None:
    clock, handler = Clock(), Blocking()
    store(inbox, clock, "m")
    inbox = Renewals(inbox.path)
    worker = Worker(inbox, handler, lease=60, renew_every=0.01, clock=clock)
    running = threading.Thread(target=worker.run_once)
    running.start()
    other = Worker(Inbox(inbox.path), Flaky(), lease=60, clock=clock)  # on the same file
    try:
        assert handler.started.wait(10)
        for _ in range(5):  # five leases long
            clock.advance(59)
            assert inbox.renewed_at(clock()), "the lease was not renewed"
            assert not other.run_once(), "handed out again while its handler runs"
    finally:
        handler.release.set()
        running.join(10)
    assert handler.calls == 1 and inbox.counts()["done"] == 1
    clock.advance(3600)
    assert not other.run_once()


def test_a_worker_that_lost_its_claim_leaves_the_event_to_the_new_one(inbox: Inbox) -> None:
    clock, handler = Clock(), Blocking(fail=True)
    store(inbox, clock, "m")
    worker = Worker(inbox, handler, lease=60, renew_every=0.01, clock=clock)
    running = threading.Thread(target=worker.run_once)
    lost = Seen("lease_lost")
    logging.getLogger("hookline_receiver").addHandler(lost)
    try:
        running.start()
        assert handler.started.wait(10)
        # Another process thought this worker dead (its clock far ahead): it takes the event.
        taken = Inbox(inbox.path).claim(lease=60, now=clock() + 1000)
        assert taken is not None and taken.attempt == 2
        assert lost.event.wait(10), "the lost lease went unnoticed"
    finally:
        logging.getLogger("hookline_receiver").removeHandler(lost)
        handler.release.set()
        running.join(10)
    # The first worker's late failure did not undo the new claim: still its lease, no retry.
    assert inbox.counts()["pending"] == 1
    assert inbox.next_due() == clock() + 1060


def test_an_async_handler_is_awaited(inbox: Inbox) -> None:
    seen: list[str] = []

    async def handler(event: Event) -> None:
        seen.append(event.id)

    clock = Clock()
    store(inbox, clock, "m")
    assert drain(Worker(inbox, handler, clock=clock)) == 1
    assert seen == ["m"]
    assert inbox.counts()["done"] == 1


def test_a_running_worker_is_woken_by_an_arrival_and_stops_when_told(inbox: Inbox) -> None:
    handled = threading.Event()
    worker = Worker(inbox, lambda event: handled.set(), poll=3600)
    thread = worker.start()
    inbox.store(received(b"{}", "m"))
    assert handled.wait(10), "the worker slept through the arrival"
    worker.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert inbox.counts()["done"] == 1


class Seen(logging.Handler):
    """Sets `event` when a record with `action` is logged."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.event = action, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", None) == self.action:
            self.event.set()


def test_a_running_worker_goes_on_after_the_inbox_was_locked_for_a_while(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.db", busy_timeout=0.05)
    handled = threading.Event()
    worker = Worker(inbox, lambda event: handled.set(), poll=0.05)
    unavailable = Seen("inbox_unavailable")
    logging.getLogger("hookline_receiver").addHandler(unavailable)
    try:
        with sqlite3.connect(inbox.path, isolation_level=None) as other:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            thread = worker.start()
            assert unavailable.event.wait(10), "the worker never found the inbox locked"
            other.execute(
                "INSERT INTO events (id, body, received_at, due_at) VALUES ('m', x'', 0, 0)"
            )
            other.execute("COMMIT")
        assert handled.wait(10), "the worker did not come back"
    finally:
        logging.getLogger("hookline_receiver").removeHandler(unavailable)
        worker.stop()
    thread.join(10)
    assert not thread.is_alive()
