"""Retention: the dispatchers delete old events, deliveries and attempt logs in batches while
they deliver, never a delivery still to be made nor its event; 0 keeps everything."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hookline.config import Settings
from hookline.db import tables
from hookline.db.engine import write
from hookline.dispatcher import retention
from hookline.dispatcher.loop import Dispatcher
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.ids import sortable_floor
from hookline.outbox.emit import emit
from hookline.outbox.queue import DeliveryState
from hookline.outbox.queue.postgres import PostgresQueue
from hookline.outbox.queue.sqlite import SqliteQueue
from tests.support.receiver import Receiver
from tests.support.waiting import idle, wait_until

DAY = 86_400.0
OLD = 1_234  # finished old deliveries, each with its event and log: more than two batches
PRUNED = "pruned old rows"


class Clock:
    """The dispatchers' clock: real time, which the test moves forward."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


def settings(database_url: str, retention_days: float) -> Settings:
    return Settings(
        database_url=database_url,
        allow_private_networks="127.0.0.0/8",
        poll_interval=0.05,
        retention_days=retention_days,
    )


def make_hook(engine: Engine, receiver: Receiver) -> str:
    with write(engine) as conn:
        body = HookCreate(events=["User.Created"], config={"url": receiver.url()})
        return service.create_hook(conn, body)["id"]


def add_old_rows(engine: Engine, hook_id: str, created_at: float) -> None:
    """`OLD` events delivered, failed or cancelled long ago, each with an attempt log; one
    event with no delivery; one with a delivery still pending and one with a leased one, not
    due before the test is over."""
    ms = int(created_at * 1000)
    finished = (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.CANCELLED)
    events = [old_event(old_id("evt", ms, i), ms) for i in range(OLD + 3)]
    events[0]["idempotency_key"] = "remembered"
    deliveries = [
        old_delivery(old_id("msg", ms, i), old_id("evt", ms, i), hook_id, ms, finished[i % 3])
        for i in range(OLD)
    ]
    later = created_at + 10 * DAY
    pending, leased = old_id("msg", ms, OLD), old_id("msg", ms, OLD + 1)
    deliveries.append(old_delivery(pending, old_id("evt", ms, OLD), hook_id, ms, 0, later))
    leased = old_delivery(leased, old_id("evt", ms, OLD + 1), hook_id, ms, 1, later)
    deliveries.append({**leased, "worker": "elsewhere:1:000000"})
    logs = [old_log(d, ms) for d in deliveries[:OLD]]
    with write(engine) as conn:
        conn.execute(tables.events.insert(), events)
        conn.execute(tables.deliveries.insert(), deliveries)
        conn.execute(tables.logs.insert(), logs)


def old_id(prefix: str, ms: int, n: int) -> str:
    """The `n`th id of `prefix` made at `ms`, as hookline.ids makes them: deliveries and events
    are as old as their ids say."""
    return f"{sortable_floor(prefix, ms)}{n:05x}000000"


def old_event(event_id: str, ms: int) -> dict[str, Any]:
    body = b'{"event":"User.Created"}'
    return {
        "id": event_id,
        "name": "User.Created",
        "body": body,
        "idempotency_key": None,
        "created_at": ms,
    }


def old_delivery(
    delivery_id: str, event_id: str, hook_id: str, ms: int, status: int, due: float = 0.0
) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "event_id": event_id,
        "hook_id": hook_id,
        "status": status,
        "attempts": 1,
        "next_attempt_at": due,
        "worker": None,
        "created_at": ms,
    }


def old_log(delivery: dict[str, Any], ms: int) -> dict[str, Any]:
    return {
        "id": "log" + delivery["id"][3:],
        "key": "TriggerHook.User.Created",
        "hook_id": delivery["hook_id"],
        "delivery_id": delivery["id"],
        "event_id": delivery["event_id"],
        "attempt": 1,
        "result": "Success",
        "duration_ms": 1.0,
        "created_at": ms,
    }


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def pruned(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == PRUNED]


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(table, rows) of every batch the queues delete, on either database."""
    seen: list[tuple[str, int]] = []
    for queue in (SqliteQueue, PostgresQueue):
        original = queue.prune

        async def prune(self: Any, table: str, *args: Any, _original: Any = original) -> int:
            deleted = await _original(self, table, *args)
            seen.append((table, deleted))
            return deleted

        monkeypatch.setattr(queue, "prune", prune)
    return seen


def test_old_finished_rows_go_in_batches_while_new_deliveries_go_on(
    database_url: str,
    engine: Engine,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    batches: list[tuple[str, int]],
) -> None:
    caplog.set_level(logging.INFO, logger="hookline.dispatcher")
    hook_id = make_hook(engine, receiver)
    clock = Clock()
    started = time.time()
    old_rows_at = started - 1.5 * DAY
    add_old_rows(engine, hook_id, created_at=old_rows_at)
    emitted = 0
    new = tables.deliveries.c.created_at >= int(started * 1000)
    delivered = (tables.deliveries.c.status == DeliveryState.DELIVERED) & new

    def emit_one() -> None:
        nonlocal emitted
        with write(engine) as conn:
            emit(conn, "User.Created", {"n": emitted})
        emitted += 1
        receiver.wait_for(emitted)

    def emit_until(done: threading.Event) -> None:
        """A stream of events, each once the one before has arrived."""
        while not done.is_set() or emitted < 20:
            emit_one()

    def all_recorded() -> None:
        wait_until(lambda: count(engine, tables.deliveries, delivered) == emitted, "records")

    async def test() -> None:
        dispatcher = Dispatcher(settings(database_url, retention_days=2), clock)
        running = asyncio.create_task(dispatcher.run())
        await asyncio.wait_for(dispatcher.ready.wait(), 10)
        for _ in range(10):
            await asyncio.to_thread(emit_one)
        # Moved on while nothing is in flight: a lease taken before would look expired.
        await asyncio.to_thread(all_recorded)
        # Two days on: the rows of a day and a half ago are past retention, the new ones not.
        clock.ahead += DAY
        dispatcher.wake.set()
        done = threading.Event()
        emitting = asyncio.create_task(asyncio.to_thread(emit_until, done))
        try:
            await asyncio.to_thread(wait_until, lambda: pruned(caplog), "a pruning round")
        finally:
            done.set()
            await emitting
        await asyncio.to_thread(all_recorded)
        dispatcher.stop()
        await asyncio.wait_for(running, 10)

    asyncio.run(test())
    old = int(started * 1000)
    assert count(engine, tables.logs, tables.logs.c.created_at < old) == 0
    with engine.connect() as conn:
        left = conn.execute(
            select(tables.deliveries.c.id, tables.deliveries.c.event_id)
            .where(tables.deliveries.c.created_at < old)
            .order_by(tables.deliveries.c.id)
        ).all()
        events_left = (
            conn.execute(select(tables.events.c.id).where(tables.events.c.created_at < old))
            .scalars()
            .all()
        )
        assert sorted(events_left) == sorted(event for _, event in left)
    old_ms = int(old_rows_at * 1000)
    assert [delivery for delivery, _ in left] == [old_id("msg", old_ms, n) for n in (OLD, OLD + 1)]
    # The new rows stay, delivered.
    assert count(engine, tables.events) == emitted + 2
    assert count(engine, tables.logs) == emitted
    [record] = pruned(caplog)
    assert (record.deliveries, record.events, record.logs) == (OLD, OLD + 1, OLD)
    assert max(rows for _, rows in batches) == retention.BATCH
    assert {table for table, rows in batches if rows} == {"deliveries", "events", "logs"}
    assert failures(caplog) == []
    # An idempotency key is remembered as long as its event: the key is free again.
    with write(engine) as conn:
        assert emit(conn, "User.Created", {}, idempotency_key="remembered") != events_left[0]


def test_retention_0_keeps_everything(
    database_url: str, engine: Engine, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hookline.dispatcher")
    hook_id = make_hook(engine, receiver)
    clock = Clock()
    add_old_rows(engine, hook_id, created_at=time.time() - 1.5 * DAY)
    clock.ahead += DAY  # the old rows are days old, and none comes due
    rows = [count(engine, table) for table in (tables.events, tables.deliveries, tables.logs)]
    config = settings(database_url, retention_days=0)

    async def test() -> None:
        dispatcher = Dispatcher(config, clock)
        running = asyncio.create_task(dispatcher.run())
        await asyncio.wait_for(dispatcher.ready.wait(), 10)
        with write(engine) as conn:
            emit(conn, "User.Created", {})
        await asyncio.to_thread(receiver.wait_for, 1)
        # Many a poll, at each of which a round would be due.
        await idle(10 * config.poll_interval)
        dispatcher.stop()
        await asyncio.wait_for(running, 10)

    asyncio.run(test())
    after = [count(engine, table) for table in (tables.events, tables.deliveries, tables.logs)]
    assert after == [rows[0] + 1, rows[1] + 1, rows[2] + 1]
    assert pruned(caplog) == []


def test_several_pruners_at_once_delete_each_old_row_once_without_failing(
    database_url: str, engine: Engine, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hookline.dispatcher")
    hook_id = make_hook(engine, receiver)
    clock = Clock()
    add_old_rows(engine, hook_id, created_at=time.time() - 1.5 * DAY)
    # Each dispatcher on an event loop and a thread of its own, so that their statements
    # meet in the database (on SQLite too) as those of separate processes would.
    config = settings(database_url, retention_days=1)
    pruners = [InThread(Dispatcher(config, clock)) for _ in range(3)]

    def totals() -> tuple[int, int, int]:
        records = pruned(caplog)
        return (
            sum(r.deliveries for r in records),
            sum(r.events for r in records),
            sum(r.logs for r in records),
        )

    try:
        wait_until(lambda: totals() == (OLD, OLD + 1, OLD), "every old row pruned once", 30)
    finally:
        for pruner in pruners:
            pruner.stop()
    assert failures(caplog) == []
    assert count(engine, tables.deliveries) == 2
    assert count(engine, tables.events) == 2
    assert count(engine, tables.logs) == 0


class InThread:
    """A dispatcher running on its own event loop, in a thread."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._run(),))
        self._thread.start()

    async def _run(self) -> None:
        await self.dispatcher.run()

    def stop(self, timeout: float = 10) -> None:
        self._call(self.dispatcher.stop)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "a dispatcher did not stop"
        self._loop.close()

    def _call(self, function: Callable[[], object]) -> None:
        self._loop.call_soon_threadsafe(function)
