"""The delivery queue: the only SQL that claims, reschedules and finishes deliveries, on SQLite
(one host) or PostgreSQL (many workers)."""

from __future__ import annotations

from hookline.db.engine import is_postgres
from hookline.outbox.queue.base import Queue
from hookline.outbox.queue.owners import worker_id
from hookline.outbox.queue.postgres import PostgresQueue
from hookline.outbox.queue.sqlite import SqliteQueue
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
    "LogRow",
    "Queue",
    "full_hooks",
    "open_queue",
    "worker_id",
]


async def open_queue(database_url: str, worker: str) -> Queue:
    if is_postgres(database_url):
        return await PostgresQueue.open(database_url, worker)
    return SqliteQueue.open(database_url, worker)
