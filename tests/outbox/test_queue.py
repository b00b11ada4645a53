"""The delivery queue's contract, on a real SQLite file and a real PostgreSQL database:
claims, leases, fairness, finishing, wake-ups, and no delivery claimed twice."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine, write
from hookline.db.migrate import upgrade
from hookline.db.unit import unit_of_work
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import (
    Claimed,
    ClaimRequest,
    DeliveryState,
    Finish,
    LogRow,
    Queue,
    open_queue,
)
from hookline.outbox.wakeup import Waker, wake_directory
from hookline.sender.outcome import Failure, Outcome


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def hook(engine: Engine, event: str) -> str:
    with write(engine) as conn:
        body = HookCreate(events=[event], config={"url": "http://127.0.0.1:9/x"})
        return service.create_hook(conn, body)["id"]


def emit_many(engine: Engine, event: str, count: int) -> None:
    with write(engine) as conn:
        for n in range(count):
            emit(conn, event, {"n": n})


def statuses(engine: Engine) -> Counter[int]:
    with engine.connect() as conn:
        return Counter(
            status for (status,) in conn.exec_driver_sql("SELECT status FROM deliveries")
        )


PENDING, LEASED, DELIVERED = DeliveryState.PENDING, DeliveryState.LEASED, DeliveryState.DELIVERED


async def claim(
    queue: Queue, now: float, limit: int = 200, busy: Mapping[str, int] | None = None
) -> list:
    return await queue.claim(ClaimRequest(limit, now, now + 30, per_hook=32, busy=busy or {}))


def test_one_hooks_backlog_cannot_take_the_whole_batch(engine: Engine, database_url: str) -> None:
    slow, fast = hook(engine, "Role.Created"), hook(engine, "User.Created")
    emit_many(engine, "Role.Created", 300)  # older, so first in line
    emit_many(engine, "User.Created", 20)

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        now = time.time()
        per_hook = Counter(c.hook_id for c in await claim(queue, now))
        assert per_hook == {slow: 32, fast: 20}
        # What is in flight counts against a hook's share in the next claim.
        assert await claim(queue, now, busy=per_hook) == []
        more = await claim(queue, now, busy={slow: 30})
        assert Counter(c.hook_id for c in more) == {slow: 2}
        await queue.close()

    run(test)


def test_a_claim_carries_the_event_and_the_hooks_target(engine: Engine, database_url: str) -> None:
    hook_id = hook(engine, "User.Created")
    with write(engine) as conn:
        event_id = emit(conn, "User.Created", {"n": "first"})

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        (claimed,) = await claim(queue, time.time())
        assert (claimed.event_id, claimed.hook_id, claimed.attempts) == (event_id, hook_id, 0)
        assert claimed.event == "User.Created" and b'"n":"first"' in bytes(claimed.body)
        # No `config.retries`: the whole retry schedule applies.
        target = (claimed.url, claimed.retries, claimed.enabled)
        assert target == ("http://127.0.0.1:9/x", None, True)
        assert len(claimed.signing_key) == 32
        await queue.close()

    run(test)


def test_a_leased_delivery_is_invisible_until_its_lease_ends(
    engine: Engine, database_url: str
) -> None:
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 1)

    async def test() -> None:
        first, second = await open_queue(database_url, "w1"), await open_queue(database_url, "w2")
        now = time.time()
        (claimed,) = await claim(first, now)
        assert await second.claim(ClaimRequest(10, now + 29, now + 60, per_hook=32)) == []
        (taken_over,) = await second.claim(ClaimRequest(10, now + 31, now + 60, per_hook=32))
        assert taken_over.delivery_id == claimed.delivery_id
        # The first worker's late result no longer applies: the lease is someone else's.
        await first.finish([Finish(claimed.delivery_id, DELIVERED, 1)], [])
        await second.finish([Finish(claimed.delivery_id, PENDING, 1, now + 100)], [])
        assert await second.next_due() == pytest.approx(now + 100)
        await first.close()
        await second.close()

    run(test)


def test_concurrent_workers_never_claim_the_same_delivery(
    engine: Engine, database_url: str
) -> None:
    for event in ("User.Created", "Role.Created", "User.Deleted"):
        hook(engine, event)
        emit_many(engine, event, 400)

    async def worker(name: str) -> list[str]:
        queue, mine = await open_queue(database_url, name), []
        while claimed := await claim(queue, time.time(), limit=25):
            mine += [c.delivery_id for c in claimed]
            finishes = [Finish(c.delivery_id, DELIVERED, 1) for c in claimed]
            await queue.finish(finishes, [])
        await queue.close()
        return mine

    async def test() -> None:
        claims = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
        everything = [d for mine in claims for d in mine]
        assert len(everything) == len(set(everything)) == 1200
        assert statuses(engine) == {DELIVERED: 1200}

    run(test)


def test_finish_records_the_outcome_and_its_log_row(engine: Engine, database_url: str) -> None:
    hook_id = hook(engine, "User.Created")
    emit_many(engine, "User.Created", 2)

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        now = time.time()
        done, retry = await claim(queue, now)
        log = LogRow(
            f"log_{done.delivery_id[4:]}_1",
            "TriggerHook.User.Created",
            hook_id,
            done.delivery_id,
            done.event_id,
            1,
            "Success",
            200,
            "ok",
            None,
            1.5,
            int(now * 1000),
        )
        await queue.finish(
            [
                Finish(done.delivery_id, DELIVERED, 1),
                Finish(retry.delivery_id, PENDING, 1, now + 60),
            ],
            [log],
        )
        assert await queue.next_due() == pytest.approx(now + 60)
        assert await claim(queue, now) == []
        (again,) = await claim(queue, now + 61)
        assert (again.delivery_id, again.attempts) == (retry.delivery_id, 1)
        await queue.close()

    run(test)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT delivery_id, result, status_code FROM logs").all()
    assert [tuple(r) for r in rows] == [(log_delivery := rows[0][0], "Success", 200)]
    assert log_delivery.startswith("msg_")


def test_a_graceful_stop_releases_its_leases_at_once(engine: Engine, database_url: str) -> None:
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 3)

    async def test() -> None:
        stopping, next_one = (
            await open_queue(database_url, "w1"),
            await open_queue(database_url, "w2"),
        )
        now = time.time()
        held = await claim(stopping, now)
        await stopping.release([c.delivery_id for c in held], now)
        assert len(await claim(next_one, now)) == 3  # no wait for the lease to run out
        await stopping.close()
        await next_one.close()

    run(test)


def test_the_leases_of_a_dead_local_worker_are_released_at_start(
    engine: Engine, database_url: str
) -> None:
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 2)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_worker = f"{__import__('socket').gethostname()}:{gone.stdout.strip()}:abcdef"

    async def test() -> None:
        dead, alive = (
            await open_queue(database_url, dead_worker),
            await open_queue(database_url, "w2"),
        )
        now = time.time()
        assert len(await claim(dead, now)) == 2
        assert await alive.release_orphans(now) == 2
        assert len(await claim(alive, now)) == 2
        await dead.close()
        await alive.close()

    run(test)
    assert statuses(engine) == {LEASED: 2}


def test_a_commit_with_deliveries_wakes_a_listening_worker(
    engine: Engine, database_url: str
) -> None:
    hook(engine, "User.Created")
    waker = Waker(wake_directory(database_url))

    async def test() -> None:
        queue, wake = await open_queue(database_url, "w1"), asyncio.Event()
        await queue.listen(wake)
        await asyncio.sleep(0)  # a wake-up set by listening itself would show now
        assert not wake.is_set()
        with unit_of_work(engine, waker.notify) as conn:
            emit(conn, "User.Created", {})
        await asyncio.wait_for(wake.wait(), 1)
        await queue.close()

    run(test)
    waker.close()


def test_emit_commits_or_rolls_back_with_the_callers_transaction(
    engine: Engine, database_url: str
) -> None:
    hook(engine, "User.Created")
    with pytest.raises(RuntimeError), write(engine) as conn:
        emit(conn, "User.Created", {"n": "lost"})
        raise RuntimeError("the change failed")
    with write(engine) as conn:
        kept = emit(conn, "User.Created", {"n": "kept"})

    async def test() -> None:
        queue = await open_queue(database_url, "w1")
        (claimed,) = await claim(queue, time.time())
        assert claimed.event_id == kept
        assert b'"n":"kept"' in bytes(claimed.body)
        await queue.close()

    run(test)


def test_a_repeated_idempotency_key_stores_one_event(engine: Engine, database_url: str) -> None:
    hook(engine, "User.Created")
    with write(engine) as conn:
        first = emit(conn, "User.Created", {}, idempotency_key="k1")
    with write(engine) as conn:
        second = emit(conn, "User.Created", {"other": True}, idempotency_key="k1")
    assert first == second
    assert statuses(engine) == {PENDING: 1}


def test_a_locked_sqlite_database_is_awaited_on_the_event_loop(tmp_path: Path) -> None:
    """The dispatcher's SQLite connection never sleeps inside SQLite while another writer
    holds the database: that would stop the event loop. It is told, and waits on the loop."""
    from hookline.db.engine import connect_raw

    url = f"sqlite:///{tmp_path / 'hookline.db'}"
    engine = make_engine(url)
    upgrade(engine)
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 1)
    other = connect_raw(url)

    async def test() -> None:
        queue = await open_queue(url, "w1")
        other.execute("BEGIN IMMEDIATE")
        claiming = asyncio.create_task(claim(queue, time.time()))
        started = time.monotonic()
        await asyncio.sleep(0)  # the claim's first try, which finds the database locked
        assert time.monotonic() - started < 0.5
        assert not claiming.done()
        other.execute("COMMIT")
        assert len(await claiming) == 1
        await queue.close()

    run(test)
    other.close()


def test_a_worker_listens_again_after_losing_its_postgresql_connection(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    hook(engine, "User.Created")

    async def test() -> None:
        queue, wake = await open_queue(postgres_url, "w1"), asyncio.Event()
        await queue.listen(wake)
        with engine.begin() as conn:  # as a server restart would, to the listening session
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE 'LISTEN%%' AND datname = current_database()"
            )
        # Listening again on a connection of its own, and told so, to claim what it missed.
        await asyncio.wait_for(wake.wait(), 2)
        wake.clear()
        with write(engine) as conn:
            emit(conn, "User.Created", {})
        await asyncio.wait_for(wake.wait(), 1)
        await queue.close()

    run(test)
    engine.dispose()


def test_two_workers_recording_the_same_attempt_both_keep_their_log_row(
    engine: Engine, database_url: str
) -> None:
    """A worker whose lease ran out mid-request, and the one that took the delivery over, each
    make attempt 1 and record it: neither recording fails (a failed one would be tried again
    with every later batch of its worker, forever), and the delivery ends as its holder says."""
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 1)

    async def record(queue: Queue, claimed: Claimed, status: DeliveryState) -> None:
        failed = Outcome(500, "", 1.0, Failure.HTTP_STATUS)
        outcome = Outcome(200, "", 1.0) if status == DELIVERED else failed
        row = LogRow.of(claimed, 1, outcome, int(time.time() * 1000))
        await queue.finish([Finish(row.delivery_id, status, 1)], [row])

    async def test() -> None:
        late, holder = await open_queue(database_url, "late"), await open_queue(database_url, "w2")
        now = time.time()
        (first,) = await claim(late, now)
        (second,) = await claim(holder, now + 31)  # the first lease has run out
        assert second.delivery_id == first.delivery_id
        await record(holder, second, DELIVERED)
        await record(late, first, PENDING)
        await late.close()
        await holder.close()

    run(test)
    with engine.connect() as conn:
        logs = conn.exec_driver_sql("SELECT status_code FROM logs ORDER BY status_code").all()
        (status,) = conn.exec_driver_sql("SELECT status FROM deliveries").one()
    assert [code for (code,) in logs] == [200, 500]
    assert status == DELIVERED
