"""A hook's `config.rateLimit` through a real server with two dispatcher processes (on
PostgreSQL with `--backend postgresql`, two workers): together they send it no faster than its
limit, and a hook without one beside it is not slowed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from hookline.db.engine import write
from hookline.outbox.emit import emit as emit_in
from hookline.outbox.queue import DeliveryState
from tests.delivery.clocked import dispatching
from tests.support.api import create_hook, delete_every_hook, emit
from tests.support.receiver import Receiver
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow  # starts a server with dispatcher processes

PENDING = DeliveryState.PENDING
RATE, EVENTS = 10, 30
# What the way from sender to receiver may take from one gap, at most: a request held up on a
# busy machine shortens the gap after it. Without the limit, the gaps are milliseconds.
JITTER = 0.15


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module's tests: a start with dispatcher processes takes seconds."""
    server = Server(tmp_path_factory.mktemp("rate-limit"), HOOKLINE_DISPATCHERS="2").start()
    yield server
    server.stop()


@pytest.fixture
def server(running: Server) -> Iterator[Server]:
    """The module's server, less the test's hooks once it is over."""
    yield running
    with running.client() as api:
        delete_every_hook(api)


def test_a_limited_hook_gets_its_events_no_faster_than_its_limit(
    server: Server, receiver: Receiver
) -> None:
    with server.client() as api:
        create_hook(api, receiver.url("/limited"), config={"rateLimit": RATE})
        create_hook(api, receiver.url("/free"))
        for n in range(EVENTS):
            emit(api, payload={"data": {"id": f"user{n}"}})

    def arrivals(path: str) -> list[float]:
        return sorted(r.at for r in receiver.requests if r.path == path)

    wait_until(lambda: len(arrivals("/limited")) >= EVENTS, f"{EVENTS} events", timeout=30)
    limited, free = arrivals("/limited"), arrivals("/free")
    assert len(limited) == EVENTS and len(free) == EVENTS
    # No second holds more than RATE requests: the first is sent at once, then one per 1/RATE s.
    for first, last in zip(limited, limited[RATE:], strict=False):
        assert last - first >= 1 - JITTER
    assert limited[-1] - limited[0] >= (EVENTS - 1) / RATE - JITTER
    # The other hook's events went while the limited one's were still going out.
    assert free[-1] < limited[-1] - 1


def test_a_rate_limit_is_a_positive_number_kept_only_when_set(
    server: Server, receiver: Receiver
) -> None:
    url = receiver.url()
    with server.client() as api:
        for rate in (10, 0.5, 1_000_000, 0.000001):
            assert create_hook(api, url, config={"rateLimit": rate})["config"] == {
                "url": url,
                "rateLimit": rate,
            }
        hook = create_hook(api, url, config={"rateLimit": 2})
        response = api.patch(f"/hooks/{hook['id']}", json={"config": {"url": url}})
        assert response.json()["config"] == {"url": url}  # as Logto stores it
        created = api.post("/hooks", json={"events": ["User.Created"], "config": {"url": url}})
        assert created.json()["config"] == {"url": url}
        body = {"events": ["User.Created"], "config": {"url": url, "rateLimit": None}}
        created = api.post("/hooks", json=body)
        assert created.status_code == 201 and created.json()["config"] == {"url": url}
        for wrong in (0, -1, 0.0, 1_000_001, 1e-7, "10", True, [10], {"perSecond": 10}):
            body = {"events": ["User.Created"], "config": {"url": url, "rateLimit": wrong}}
            response = api.post("/hooks", json=body)
            assert response.status_code == 400, wrong
            response = api.patch(f"/hooks/{hook['id']}", json={"config": body["config"]})
            assert response.status_code == 400, wrong


def test_a_backlog_beyond_reach_waits_in_the_queue_not_under_a_lease(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    """A dispatcher's first claim takes a limited hook's deliveries as it would any hook's (it
    has not read the hooks yet): those whose send time is more than a few seconds away go back,
    due when it comes near, rather than wait under a lease that could run out. A stop cuts the
    waits short and sends nothing early, on a clock that stands still."""

    async def test() -> None:
        async with dispatching(engine, database_url) as run:
            run.hook(receiver.url(), ["User.Created"], rateLimit=1)
            with write(engine) as conn:
                for n in range(30):
                    emit_in(conn, "User.Created", {"data": {"id": f"user{n}"}})
            await run.advance_to(time.time())
            now = run.clock.now
            back = "SELECT next_attempt_at FROM deliveries WHERE status = ? AND attempts = 0"
            put_back = await run.until(
                lambda: len(rows := run.all(back, PENDING)) == 19 and rows, "19 put back"
            )
            # 11 within reach (now, now + 1 s, ... now + 10 s); the rest due in 1 s.
            assert {round(at - now, 3) for (at,) in put_back} == {1.0}
            await asyncio.to_thread(receiver.wait_for, 1)
        assert len(receiver.requests) == 1
        statuses = run.all("SELECT status, count(*) FROM deliveries GROUP BY status")
        assert sorted(map(tuple, statuses)) == [(PENDING, 29), (DeliveryState.DELIVERED, 1)]

    started = time.monotonic()
    asyncio.run(test())
    assert time.monotonic() - started < 5  # the stop did not wait for the send times
