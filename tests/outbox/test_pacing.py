"""Send times of rate-limited hooks, on a real SQLite file and a real PostgreSQL database:
queues (one per dispatcher process) share each hook's times; a claim takes a limited hook's
share; the hook's rate comes with its claimed deliveries."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import pytest
from sqlalchemy import Engine

from hookline.db.engine import write
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import ClaimRequest, open_queue
from hookline.outbox.queue.pacing import slots


def limited_hook(engine: Engine, rate: float | None) -> str:
    config = {"url": "http://127.0.0.1:9/x", **({"rateLimit": rate} if rate else {})}
    with write(engine) as conn:
        return service.create_hook(conn, HookCreate(events=["User.Created"], config=config))["id"]


def test_dispatchers_share_a_hooks_send_times(engine: Engine, database_url: str) -> None:
    hook_id = limited_hook(engine, 10)

    async def scenario() -> None:
        first, second = [await open_queue(database_url, name) for name in ("a", "b")]
        try:
            now = time.time()
            taken = await asyncio.gather(
                *(queue.reserve(hook_id, 5, 0.1, now, reach=10) for queue in (first, second))
            )
            times = sorted(t.at(n) for t in taken for n in range(t.number))
            assert len(times) == 10 and times[0] == pytest.approx(now)
            assert all(b - a == pytest.approx(0.1, abs=1e-5) for a, b in pairwise(times))
            # Further than reach from now: none taken, and the hook's next time stays.
            more = await first.reserve(hook_id, 200, 0.1, now, reach=1.55)
            assert more.first == pytest.approx(now + 1.0) and more.number == 6
            assert (await second.reserve(hook_id, 1, 0.1, now, reach=1.55)).number == 0
            # A hook gone takes no row, and its deliveries went with it.
            assert (await first.reserve("gone", 3, 0.1, now, reach=1)).number == 3
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())


def test_a_claim_takes_a_limited_hooks_share_with_its_rate(
    engine: Engine, database_url: str
) -> None:
    limited, free = limited_hook(engine, 0.5), limited_hook(engine, None)
    with write(engine) as conn:
        for n in range(20):
            emit(conn, "User.Created", {"n": n})

    async def scenario() -> None:
        queue = await open_queue(database_url, "a")
        try:
            now = time.time() + 1
            shares = {limited: 3}
            claimed = await queue.claim(ClaimRequest(200, now, now + 30, 32, {}, shares))
            by_hook = {c.hook_id: c for c in claimed}
            assert [c.hook_id for c in claimed].count(limited) == 3
            assert [c.hook_id for c in claimed].count(free) == 20
            assert by_hook[limited].rate_limit == 0.5 and by_hook[free].rate_limit is None
            assert queue.rates == {limited: 0.5}
            busy = {limited: 2}
            request = ClaimRequest(200, now, now + 30, 32, busy, shares)
            assert request.full() == [] and request.room() == [(limited, 1)]
            assert [c.hook_id for c in await queue.claim(request)] == [limited]
            assert ClaimRequest(200, now, now + 30, 32, {limited: 3}, shares).full() == [limited]
        finally:
            await queue.close()

    asyncio.run(scenario())


def test_a_time_far_ahead_counts_from_one_interval_past_reach() -> None:
    # Taken at a slower rate before, or by a clock ahead: the present rate decides.
    assert slots(next_free=1e6, now=0, wanted=3, interval=1, reach=10) == (11, 0, 1)
    assert slots(next_free=-5, now=0, wanted=3, interval=1, reach=10) == (0, 3, 1)
    assert slots(next_free=9.5, now=0, wanted=3, interval=1, reach=10) == (9.5, 1, 1)
