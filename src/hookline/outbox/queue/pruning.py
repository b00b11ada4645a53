"""The statements retention deletes with, a batch at a time: the rows of each batch are picked
in the statement that deletes them, so that pruners running at once (several dispatchers)
never delete a row twice, and on PostgreSQL never wait for each other's rows."""

from __future__ import annotations

from typing import Literal

from hookline.ids import sortable_floor
from hookline.outbox.queue.values import DeliveryState

Prunable = Literal["deliveries", "events", "logs"]

# Rows are as old as their ids say: they sort by creation time, and spare the tables an
# index on `created_at` (migration 0013).
_ID_PREFIX: dict[Prunable, str] = {"deliveries": "msg", "events": "evt", "logs": "log"}


def cutoff(table: Prunable, before_ms: int) -> str:
    """The id the prune statement of `table` finds rows below: those made before `before_ms`
    (Unix ms)."""
    return sortable_floor(_ID_PREFIX[table], before_ms)


# Beyond its age, what lets a row go. A delivery still to be made (pending or leased) stays,
# and so does its event: deliveries go before the events they leave without any.
_LETS_GO: dict[Prunable, str] = {
    "deliveries": f"status >= {DeliveryState.DELIVERED:d}",
    "events": "NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id)",
    "logs": "TRUE",
}

SQLITE_PRUNE: dict[Prunable, str] = {
    table: f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table}"
    f" WHERE id < ? AND {lets_go} LIMIT ?)"
    for table, lets_go in _LETS_GO.items()
}
# Rows another transaction holds are passed over: another pruner's batch, a delivery being
# replayed, an event a new delivery is being written for.
POSTGRES_PRUNE: dict[Prunable, str] = {
    table: f"WITH batch AS (SELECT id FROM {table} WHERE id < $1 AND {lets_go}"
    f" LIMIT $2 FOR UPDATE SKIP LOCKED) DELETE FROM {table} USING batch"
    f" WHERE {table}.id = batch.id"
    for table, lets_go in _LETS_GO.items()
}
