"""The delivery queue: the only SQL that claims, reschedules and finishes deliveries, on SQLite
(one host) or PostgreSQL (many workers)."""

from __future__ import annotations

from hookline.db.engine import is_postgres
from hookline.outbox.queue.base import Queue
from hookline.outbox.queue.health import HealthPolicy, HealthReport
from hookline.outbox.queue.owners import worker_id
from hookline.outbox.queue.values import (
    Claimed,
    ClaimRequest,
    DeliveryState,
    Finish,
    LogRow,
    full_hooks,
)

__all__ = [
    "ClaimRequest",
    "Claimed",
    "DeliveryState",
    "Finish",
    "HealthPolicy",
    "HealthReport",
    "LogRow",
    "Queue",
    "full_hooks",
    "open_queue",
    "worker_id",
]


async def open_queue(database_url: str, worker: str) -> Queue:
    # Each backend is imported when opened: writers of the outbox (the API, Python callers)
    # import this package for its values, and need neither driver.
    if is_postgres(database_url):
        from hookline.outbox.queue.postgres import PostgresQueue

        return await PostgresQueue.open(database_url, worker)
    from hookline.outbox.queue.sqlite import SqliteQueue

    return SqliteQueue.open(database_url, worker)
