"""Operational events: subscribable like any event, stored with the outcome that causes them,
delivered to the other hooks subscribed, never to the hook they are about."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import Engine

from hookline.hooks.validation import HookCreate
from hookline.outbox.queue import DeliveryState
from tests.delivery.clocked import OPERATIONAL, dispatching
from tests.support.receiver import Receiver, Reply

ABOUT_HOOKS = (
    "SELECT count(*) FROM deliveries JOIN events ON events.id = deliveries.event_id"
    " WHERE deliveries.hook_id = ? AND events.name LIKE 'Hook.%'"
)


def test_hooks_subscribe_to_operational_events() -> None:
    hook = HookCreate(events=OPERATIONAL, config={"url": "https://example.com/ops"})
    assert hook.events == OPERATIONAL


def test_an_exhausted_delivery_is_told_to_the_others_never_to_its_hook(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    # Were a hook told of its own failures, each notice to it would fail too: without end.
    receiver.on("/a", Reply(400, b"", {}))

    async def test() -> tuple[str, str, str, bytes]:
        async with dispatching(engine, database_url) as run:
            failing = run.hook(receiver.url("/a"), ["User.Created", *OPERATIONAL])
            watcher = run.hook(receiver.url("/b"), OPERATIONAL)
            delivery = run.emit()
            await run.delivery(delivery, DeliveryState.FAILED, 1)
            (notice,) = await asyncio.to_thread(receiver.wait_for, 1, "/b")
            # Every delivery is over: what /a got is all it will ever get.
            await run.until(
                lambda: run.one("SELECT count(*) FROM deliveries WHERE status < 2")[0] == 0,
                "no delivery pending",
            )
            assert run.one(ABOUT_HOOKS, failing)[0] == 0
            return failing, watcher, delivery, notice.body

    failing, watcher, delivery, body = asyncio.run(test())
    assert [r.path for r in receiver.requests].count("/a") == 1
    notice = json.loads(body)
    assert list(notice) == ["event", "createdAt", "hook", "delivery", "hookId"]
    assert notice["event"] == "Hook.Delivery.Exhausted"
    assert notice["createdAt"].endswith("Z")
    assert (notice["hook"], notice["hookId"]) == ({"id": failing}, watcher)
    assert notice["delivery"] == {
        "id": delivery,
        "event": "User.Created",
        "attempts": 1,
        "lastStatus": 400,
        "lastError": "HTTPError",
    }


def test_a_timeout_is_told_by_its_kind(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    receiver.on("/a", Reply(delay=1))

    async def test() -> bytes:
        async with dispatching(engine, database_url, request_timeout=0.2) as run:
            run.hook(receiver.url("/a"), ["User.Created"], retries=0)
            run.hook(receiver.url("/b"), ["Hook.Delivery.Exhausted"])
            run.emit()
            (notice,) = await asyncio.to_thread(receiver.wait_for, 1, "/b")
            return notice.body

    delivery = json.loads(asyncio.run(test()))["delivery"]
    assert (delivery["lastStatus"], delivery["lastError"]) == (None, "TimeoutError")
