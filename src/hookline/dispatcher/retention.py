"""Retention: beside its deliveries, each dispatcher deletes the events, deliveries and attempt
logs older than `HOOKLINE_RETENTION_DAYS`, in small batches.

Never a delivery still to be made (pending or leased), nor its event: finished deliveries go
first, then the old events they leave without any delivery. An event's idempotency key goes
with it. Several dispatchers may prune at once; each batch picks its own rows
(outbox.queue.pruning).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hookline.config import Settings
from hookline.outbox.queue import Queue
from hookline.outbox.queue.pruning import Prunable

log = logging.getLogger("hookline.dispatcher")

# Rows per transaction: a writer waiting for SQLite's lock waits for one batch at most.
BATCH = 500
# Seconds between two rounds, on the dispatcher's clock.
PERIOD = 60.0
# Deliveries before events: an event goes once none of its deliveries are left.
_ORDER: tuple[Prunable, ...] = ("deliveries", "events", "logs")
_DAY = 86_400.0


class Pruning:
    """Rounds of pruning while a dispatcher runs: one at start, then one a `PERIOD` of the
    dispatcher's clock, looked for at every poll. None at all when retention is 0."""

    def __init__(self, queue: Queue, settings: Settings, clock: Callable[[], float]) -> None:
        self._queue = queue
        self._keep = settings.retention_days * _DAY
        self._poll = settings.poll_interval
        self._clock = clock
        self._task = asyncio.create_task(self._run()) if self._keep else None

    async def stop(self) -> None:
        # Cancelled rather than awaited: a round through a large backlog takes a while, and
        # a batch cut off is rolled back for the next round.
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])

    async def _run(self) -> None:
        last: float | None = None
        while True:
            now = self._clock()
            # A clock set back starts a round too, rather than none for as long.
            if last is None or not last <= now < last + PERIOD:
                last = now
                await self._round(int((now - self._keep) * 1000))
            await asyncio.sleep(self._poll)

    async def _round(self, before_ms: int) -> None:
        try:
            deleted: dict[str, int] = {
                table: await prune(self._queue, table, before_ms) for table in _ORDER
            }
        except Exception:
            # The database is away, or a row changed under the batch: the next round tries.
            log.exception("pruning failed", extra={"action": "prune"})
            return
        if any(deleted.values()):
            log.info("pruned old rows", extra={"action": "prune", **deleted})


async def prune(queue: Queue, table: Prunable, before_ms: int) -> int:
    """Delete what retention lets go of `table` from before `before_ms` (Unix ms), batch by
    batch; return how many rows went."""
    total = 0
    while True:
        count = await queue.prune(table, before_ms, BATCH)
        total += count
        if count < BATCH:
            return total
        await asyncio.sleep(0)  # claims and recordings get their turn between batches
