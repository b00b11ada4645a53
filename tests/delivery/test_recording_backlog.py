"""A delivery holds its slot until its outcome is recorded: while recording is held up, the
dispatcher sends no more than `max_in_flight` whose outcomes are not stored, so that a crash
then leaves at most that many to be sent again by another worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine
from hookline.db.migrate import upgrade
from hookline.outbox.queue.sqlite import SqliteQueue
from tests.delivery.clocked import dispatching
from tests.support.receiver import Receiver

SLOTS = 4
EVENTS = 12


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    # SQLite's claim runs without yielding to the event loop, so that a few turns of the loop
    # are enough for a claim the dispatcher should not make to show.
    return f"sqlite:///{tmp_path / 'hookline.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Engine:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    return engine


def test_sends_whose_outcome_is_not_recorded_hold_their_slots(
    sqlite_engine: Engine, sqlite_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed: list[str] = []
    recording: list[int] = []

    async def test() -> None:
        release = asyncio.Event()
        claim, finish = SqliteQueue.claim, SqliteQueue.finish

        async def counted_claim(queue: SqliteQueue, request: Any) -> Any:
            taken = await claim(queue, request)
            claimed.extend(c.delivery_id for c in taken)
            return taken

        async def held_finish(queue: SqliteQueue, finishes: Any, *args: Any) -> Any:
            finishes = list(finishes)
            recording.append(len(finishes))
            await release.wait()
            return await finish(queue, finishes, *args)

        monkeypatch.setattr(SqliteQueue, "claim", counted_claim)
        monkeypatch.setattr(SqliteQueue, "finish", held_finish)
        async with dispatching(sqlite_engine, sqlite_url, max_in_flight=SLOTS) as run:
            run.hook(receiver.url("/a"), ["User.Created"])
            for _ in range(EVENTS):
                run.emit()
            dispatcher = run.dispatcher
            # Every slot's delivery sent and answered, its outcome waiting to be recorded.
            await run.until(
                lambda: recording and recording[0] + len(dispatcher._finished) >= SLOTS,
                "the first deliveries' outcomes held up",
            )
            dispatcher.wake.set()
            for _ in range(20):  # turns of the loop for a claim to happen, were one to
                await asyncio.sleep(0)
            assert len(claimed) == SLOTS
            assert len(receiver.requests) == SLOTS
            release.set()
            await run.until(lambda: len(receiver.requests) == EVENTS, "every delivery")
        assert sorted(claimed) == sorted({r.header("webhook-id") for r in receiver.requests})

    asyncio.run(test())
