"""The retry schedule, through the real Dispatcher against a real receiver, on a clock the test
moves forward: Standard Webhooks' delays by default, `config.retries` as a cap, Retry-After
within its bound, and the answers that are final at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from hookline.outbox.queue import DeliveryState
from tests.delivery.clocked import dispatching
from tests.support.receiver import Receiver, Reply

PENDING, FAILED = DeliveryState.PENDING, DeliveryState.FAILED
STANDARD_WEBHOOKS = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


def gap(row) -> float:
    """Seconds from the delivery's last attempt to its next."""
    _, _, next_attempt_at, last_attempt_at, _ = row
    return next_attempt_at - last_attempt_at / 1000


def test_the_standard_webhooks_schedule_then_the_delivery_fails(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    receiver.on("/a", Reply(500))

    async def test() -> None:
        async with dispatching(engine, database_url) as run:
            run.hook(receiver.url("/a"), ["User.Created"])
            delivery = run.emit()
            for attempts, nominal in enumerate(STANDARD_WEBHOOKS, start=1):
                row = await run.delivery(delivery, PENDING, attempts)
                assert 0.8 * nominal <= gap(row) <= 1.2 * nominal, (attempts, gap(row))
                await run.advance_to(row[2])
            await run.delivery(delivery, FAILED, len(STANDARD_WEBHOOKS) + 1)

    asyncio.run(test())
    got = receiver.wait_for(10, "/a")
    assert len(got) == 10 and len({r.header("webhook-id") for r in got}) == 1


def test_config_retries_caps_the_schedule(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    receiver.on("/a", Reply(503))

    async def test() -> None:
        async with dispatching(engine, database_url, retry_schedule=(1.0, 2.0, 3.0)) as run:
            run.hook(receiver.url("/a"), ["User.Created"], retries=1)
            delivery = run.emit()
            row = await run.delivery(delivery, PENDING, 1)
            await run.advance_to(row[2])
            await run.delivery(delivery, FAILED, 2)

    asyncio.run(test())
    assert len(receiver.requests) == 2


def test_retry_after_is_honoured_within_its_bound(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    receiver.on(
        "/a",
        Reply(503, b"", {"retry-after": "120"}),
        Reply(429, b"", {"retry-after": "86400"}),
        Reply(200),
    )

    async def test() -> None:
        async with dispatching(engine, database_url, max_retry_after=600) as run:
            run.hook(receiver.url("/a"), ["User.Created"])
            delivery = run.emit()
            first = await run.delivery(delivery, PENDING, 1)
            assert gap(first) == pytest.approx(120, abs=0.01)  # asked for, no jitter
            await run.advance_to(first[2])
            second = await run.delivery(delivery, PENDING, 2)
            assert gap(second) == pytest.approx(600, abs=0.01)  # the bound
            await run.advance_to(second[2])
            await run.delivery(delivery, DeliveryState.DELIVERED, 3)

    asyncio.run(test())


FINAL = [301, 302, 400, 401, 404, 410, 422]
RETRIED = [408, 425, 429, 500, 503]


def test_3xx_and_4xx_are_final_but_408_425_429(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    for status in FINAL + RETRIED:
        receiver.on(f"/{status}", Reply(status, b"", {}))

    async def test() -> None:
        async with dispatching(engine, database_url) as run:
            hooks = {
                status: run.hook(receiver.url(f"/{status}"), ["User.Created"])
                for status in FINAL + RETRIED
            }
            run.emit()
            for status, hook_id in hooks.items():
                (delivery,) = run.one("SELECT id FROM deliveries WHERE hook_id = ?", hook_id)
                expected = FAILED if status in FINAL else PENDING
                row = await run.delivery(delivery, expected, 1)
                assert row[4] == status

    asyncio.run(test())
    assert sorted(r.path for r in receiver.requests) == sorted(f"/{s}" for s in FINAL + RETRIED)
