"""The queue a dispatcher works on: PostgreSQL's as it is, SQLite's with its lock awaited."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from hookline.db.engine import connect_raw, is_locked, is_postgres
from hookline.outbox.pg_queue import PostgresQueue
from hookline.outbox.queue import Claimed, Finish, SqliteQueue
from hookline.outbox.wakeup import WakeListener, wake_directory

T = TypeVar("T")


class Queue(Protocol):
    worker: str

    async def listen(self, wake: asyncio.Event) -> None: ...
    async def claim(
        self,
        limit: int,
        now: float,
        lease_until: float,
        per_hook: int,
        busy: Mapping[str, int] | None = None,
    ) -> list[Claimed]: ...
    async def next_due(self, skip: Sequence[str] = ()) -> float | None: ...
    async def finish(self, finishes: Iterable[Finish], log_rows: Sequence[tuple]) -> None: ...
    async def release(self, delivery_ids: Sequence[str], now: float) -> None: ...
    async def release_orphans(self, now: float) -> int: ...
    async def close(self) -> None: ...


async def open_queue(database_url: str, worker: str) -> Queue:
    if is_postgres(database_url):
        return await PostgresQueue.open(database_url, worker)
    # Fails at once on a locked database (no busy timeout), for LockAwaitingQueue to wait.
    return LockAwaitingQueue(
        SqliteQueue(connect_raw(database_url, wait_for_lock=False), worker), database_url
    )


class LockAwaitingQueue:
    """SqliteQueue's calls, retried on the event loop while another writer holds the
    database: waiting inside SQLite would stop every request in flight meanwhile."""

    def __init__(self, queue: SqliteQueue, database_url: str) -> None:
        self._queue = queue
        self.worker = queue.worker
        self._wake_directory = wake_directory(database_url)
        self._listener: WakeListener | None = None

    async def listen(self, wake: asyncio.Event) -> None:
        self._listener = WakeListener(self._wake_directory, wake)

    async def claim(
        self,
        limit: int,
        now: float,
        lease_until: float,
        per_hook: int,
        busy: Mapping[str, int] | None = None,
    ) -> list[Claimed]:
        return await _awaiting_lock(self._queue.claim, limit, now, lease_until, per_hook, busy)

    async def next_due(self, skip: Sequence[str] = ()) -> float | None:
        return await _awaiting_lock(self._queue.next_due, skip)

    async def finish(self, finishes: Iterable[Finish], log_rows: Sequence[tuple]) -> None:
        await _awaiting_lock(self._queue.finish, finishes, log_rows)

    async def release(self, delivery_ids: Sequence[str], now: float) -> None:
        await _awaiting_lock(self._queue.release, delivery_ids, now)

    async def release_orphans(self, now: float) -> int:
        return await _awaiting_lock(self._queue.release_orphans, now)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._queue.close()


async def _awaiting_lock(call: Callable[..., T], *args: object) -> T:
    pause = 0.0005
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.02)
