"""Events in order per subject, at the queue: each event's number among those about its
subject, and the claim that gives a hook ordered by subject one delivery of a subject at a
time, in that order; on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from hookline.db.engine import write
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import Claimed, ClaimRequest, DeliveryState, Finish, Queue, open_queue

PENDING, DELIVERED = DeliveryState.PENDING, DeliveryState.DELIVERED


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def hook(engine: Engine, **config: str) -> str:
    with write(engine) as conn:
        body = HookCreate(
            events=["User.Data.Updated", "Identifier.Lockout"],
            config={"url": "http://127.0.0.1:9/x", **config},
        )
        return service.create_hook(conn, body)["id"]


def update(engine: Engine, *user_ids: str) -> None:
    with write(engine) as conn:
        for user_id in user_ids:
            emit(conn, "User.Data.Updated", {"data": {"id": user_id}})


async def claim(queue: Queue, now: float) -> list[Claimed]:
    return await queue.claim(ClaimRequest(200, now, now + 30, per_hook=32))


def turns(claimed: list[Claimed]) -> set[tuple[str | None, int | None]]:
    return {(c.subject, c.sequence) for c in claimed}


def test_events_are_numbered_per_subject_from_one(engine: Engine) -> None:
    with write(engine) as conn:
        for user_id in ("a", "b", "a", "a", "b"):
            emit(conn, "User.Data.Updated", {"data": {"id": user_id}})
        emit(conn, "Identifier.Lockout", {"type": "username", "value": "a"})
        # A repeated idempotency key stores nothing, and takes no number either.
        for _ in range(2):
            emit(conn, "User.Data.Updated", {"data": {"id": "b"}}, idempotency_key="k")
        emit(conn, "User.Data.Updated", {"data": {"id": "b"}})
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT subject, sequence FROM events ORDER BY id").all()
    assert [tuple(row) for row in rows] == [
        ("user:a", 1),
        ("user:b", 1),
        ("user:a", 2),
        ("user:a", 3),
        ("user:b", 2),
        (None, None),
        ("user:b", 3),
        ("user:b", 4),
    ]


def test_concurrent_transactions_number_one_subject_without_gaps(engine: Engine) -> None:
    def writer() -> None:
        for _ in range(20):
            update(engine, "shared")

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        numbers = [n for (n,) in conn.exec_driver_sql("SELECT sequence FROM events")]
    assert sorted(numbers) == list(range(1, 81))


def test_an_ordered_hook_gets_one_delivery_of_a_subject_at_a_time(
    engine: Engine, database_url: str
) -> None:
    hook_id = hook(engine, ordering="subject")
    update(engine, "a", "a", "b", "a", "b")
    with write(engine) as conn:
        emit(conn, "Identifier.Lockout", {"type": "username", "value": "a"})

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        now = time.time()
        first = await claim(queue, now)
        # Each subject's oldest; an event about no subject is not held.
        assert turns(first) == {("user:a", 1), ("user:b", 1), (None, None)}
        assert {c.in_order for c in first if c.subject} == {True}
        # The others wait for their turn, held back until a lease taken now would run out:
        # until then no claim looks at them again.
        assert held(engine, now) == {
            ("user:a", 2): now + 30,
            ("user:a", 3): now + 30,
            ("user:b", 2): now + 30,
        }
        assert await claim(queue, now) == []
        # a's first fails and is retried later: a's others wait for it; b goes on, its next
        # due at once once the dispatcher passes the turn.
        await queue.finish(
            [
                Finish(c.delivery_id, PENDING, 1, now + 60)
                if c.subject == "user:a"
                else Finish(c.delivery_id, DELIVERED, 1)
                for c in first
            ],
            [],
        )
        await queue.pass_turns([(hook_id, "user:b")], now)
        (b2,) = await claim(queue, now)
        assert (b2.subject, b2.sequence) == ("user:b", 2)
        await queue.finish([Finish(b2.delivery_id, DELIVERED, 1)], [])
        # Held deliveries are not due: the dispatcher sleeps until a's retry.
        assert await queue.next_due() == now + 60
        (a1,) = await claim(queue, now + 61)
        assert (a1.subject, a1.sequence) == ("user:a", 1)
        await queue.finish([Finish(a1.delivery_id, DELIVERED, 2)], [])
        # A turn passed twice, or after a crash lost it: the next still comes when due.
        await queue.pass_turns([(hook_id, "user:a"), (hook_id, "user:a")], now + 62)
        assert turns(await claim(queue, now + 62)) == {("user:a", 2)}
        await queue.close()

    run(test)


def held(engine: Engine, now: float) -> dict[tuple[str, int], float]:
    """The never-tried deliveries no claim looks at before their time: turn → until when."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT ordered_subject, ordered_sequence, next_attempt_at FROM deliveries"
            " WHERE status = 0 AND attempts = 0"
        )
        return {(subject, sequence): until for subject, sequence, until in rows if until > now}


def test_a_hook_without_the_option_gets_every_delivery_numbered(
    engine: Engine, database_url: str
) -> None:
    hook(engine)
    update(engine, "a", "a", "b")

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        claimed = await claim(queue, time.time())
        assert turns(claimed) == {("user:a", 1), ("user:a", 2), ("user:b", 1)}
        assert {c.in_order for c in claimed} == {False}
        await queue.close()

    run(test)


def test_the_one_behind_a_delivery_in_flight_needs_no_turn_passed(
    engine: Engine, database_url: str
) -> None:
    """So that a claim that looked before that delivery was finished cannot hold it back after
    its turn was passed, for nobody to pass it again."""
    hook(engine, ordering="subject")
    update(engine, "a")

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        now = time.time()
        (a1,) = await claim(queue, now)
        update(engine, "a")
        assert await claim(queue, time.time()) == []
        assert held(engine, time.time()) == {}
        await queue.finish([Finish(a1.delivery_id, DELIVERED, 1)], [])
        assert turns(await claim(queue, time.time())) == {("user:a", 2)}
        await queue.close()

    run(test)
