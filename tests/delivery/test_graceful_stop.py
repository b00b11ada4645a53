"""A dispatcher told to stop lets the requests it has in flight finish, and records them, before
it gives its leases back."""

from __future__ import annotations

import asyncio

from hookline.config import Settings
from hookline.db.engine import make_engine, write
from hookline.db.migrate import upgrade
from hookline.dispatcher.loop import Dispatcher
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import DeliveryState
from tests.support.receiver import Receiver, Reply


def test_a_stopping_dispatcher_finishes_its_requests_in_flight(
    database_url: str, receiver: Receiver
) -> None:
    receiver.on("/slow", Reply(delay=1))
    engine = make_engine(database_url)
    upgrade(engine)
    with write(engine) as conn:
        hook = HookCreate(events=["User.Created"], config={"url": receiver.url("/slow")})
        service.create_hook(conn, hook)
        emit(conn, "User.Created", {})
    settings = Settings(database_url=database_url, allow_private_networks="127.0.0.0/8")

    async def test() -> None:
        dispatcher = Dispatcher(settings)
        running = asyncio.create_task(dispatcher.run())
        await asyncio.to_thread(receiver.wait_for, 1, "/slow")
        dispatcher.stop()  # while the receiver holds the request
        await asyncio.wait_for(running, 10)

    asyncio.run(test())
    with engine.connect() as conn:
        status = conn.exec_driver_sql("SELECT status FROM deliveries").scalar_one()
        results = conn.exec_driver_sql("SELECT result FROM logs").scalars().all()
    engine.dispose()
    assert (status, results) == (DeliveryState.DELIVERED, ["Success"])
