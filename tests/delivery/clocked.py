"""The real Dispatcher, in the test's event loop, on a clock the test moves forward: hours of
retry schedule are seen through without waiting for them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine

from hookline.config import Settings
from hookline.db.engine import write
from hookline.db.sql import for_driver
from hookline.dispatcher.loop import Dispatcher
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import DeliveryState
from tests.support.waiting import wait_until

LEASED = DeliveryState.LEASED
OPERATIONAL = ["Hook.Disabled", "Hook.Delivery.Exhausted", "Hook.Delivery.Recovered"]
DELIVERY = (
    "SELECT status, attempts, next_attempt_at, last_attempt_at, last_status"
    " FROM deliveries WHERE id = ?"
)


class Clock:
    """Unix seconds, from now; only `Harness.advance_to` moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, engine: Engine, dispatcher: Dispatcher, clock: Clock) -> None:
        self.engine, self.dispatcher, self.clock = engine, dispatcher, clock

    def hook(self, url: str, events: Iterable[str], **config: Any) -> str:
        with write(self.engine) as conn:
            body = HookCreate(events=list(events), config={"url": url, **config})
            return service.create_hook(conn, body)["id"]

    def emit(self, event: str = "User.Created") -> str:
        """Emit `event`; return the id of its delivery to the first hook subscribed."""
        with write(self.engine) as conn:
            event_id = emit(conn, event, {"data": {"n": 1}})
        # Due at once: at the wall clock's now, which may be ahead of the test's clock (a step
        # shorter than any lease).
        self._move(time.time())
        return self.one("SELECT id FROM deliveries WHERE event_id = ? ORDER BY id", event_id)[0]

    def one(self, sql: str, *params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(for_driver(conn.dialect.name, sql), params).first()

    def all(self, sql: str, *params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.exec_driver_sql(for_driver(conn.dialect.name, sql), params).all())

    async def until(self, condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
        return await asyncio.to_thread(wait_until, condition, what, timeout)

    async def delivery(self, delivery_id: str, status: int, attempts: int) -> Any:
        """The delivery's row once it has `status` after `attempts`."""

        def reached() -> Any:
            row = self.one(DELIVERY, delivery_id)
            return row if row is not None and tuple(row[:2]) == (status, attempts) else None

        return await self.until(reached, f"{delivery_id}: status {status} after {attempts}")

    async def advance_to(self, moment: float) -> None:
        """Move the clock to `moment` once no delivery is in flight: a lease taken before a
        step longer than the lease would look run out after it, and its delivery (an
        operational event's, say) would be sent a second time."""
        await self.until(
            lambda: self.one(f"SELECT count(*) FROM deliveries WHERE status = {LEASED:d}")[0] == 0,
            "no delivery in flight",
        )
        self._move(moment)

    def _move(self, moment: float) -> None:
        self.clock.now = max(self.clock.now, moment)
        self.dispatcher.wake.set()

    def enabled(self, hook_id: str) -> bool:
        return bool(self.one("SELECT enabled FROM hooks WHERE id = ?", hook_id)[0])


@asynccontextmanager
async def dispatching(engine: Engine, database_url: str, **settings: Any) -> AsyncIterator[Harness]:
    """A running Dispatcher on `engine`'s database, on a `Clock`; stopped at the end."""
    clock = Clock()
    dispatcher = Dispatcher(
        Settings(
            database_url=database_url,
            allow_private_networks="127.0.0.0/8",
            **settings,
        ),
        clock,
    )
    running = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(dispatcher.ready.wait(), 10)
    try:
        yield Harness(engine, dispatcher, clock)
    finally:
        dispatcher.stop()
        await asyncio.wait_for(running, 15)
