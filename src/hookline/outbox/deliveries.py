"""Deliveries as the Management API shows them, and sending them again (replay, recover).

A delivery sent again keeps its id, hence its `webhook-id`, and its attempt count: the
dispatcher numbers the next attempt (and its log row) after the last one, and makes it
whatever the count, since it tries every due row it claims. So one more
attempt is always made; if it fails, the retry policy decides as after any other attempt,
counting those made before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal_column, select, update

from hookline.db.sql import Cursor
from hookline.db.tables import deliveries, events
from hookline.db.unit import TransactionState
from hookline.ids import sortable_floor
from hookline.outbox.emit import wake_dispatchers_at_commit
from hookline.outbox.queue.values import DeliveryState

# The Management API's names of the states; a leased delivery is pending to its callers.
STATUS_NAMES = {
    DeliveryState.PENDING: "pending",
    DeliveryState.LEASED: "pending",
    DeliveryState.DELIVERED: "succeeded",
    DeliveryState.FAILED: "failed",
    DeliveryState.CANCELLED: "cancelled",
}
_FINISHED = (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.CANCELLED)


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Which deliveries to list; None matches any. Times are Unix ms, bounds inclusive."""

    hook_id: str | None = None
    status: str | None = None  # a name of STATUS_NAMES
    event: str | None = None
    start_time: int | None = None
    end_time: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.hook_id is not None:
            found.append(deliveries.c.hook_id == self.hook_id)
        if self.status is not None:
            states = [state for state, name in STATUS_NAMES.items() if name == self.status]
            found.append(_status_in(states))
        if self.event is not None:
            found.append(events.c.name == self.event)
        if self.start_time is not None:
            found.append(deliveries.c.created_at >= self.start_time)
            # The same bound on the id, which sorts by creation time, for the index to use.
            found.append(deliveries.c.id >= sortable_floor("msg", self.start_time))
        if self.end_time is not None:
            found.append(deliveries.c.created_at <= self.end_time)
        return found


def _status_in(states: list[DeliveryState]) -> ColumnElement[bool]:
    """Written with the values themselves: a database uses a partial index (`status = 3` of
    `deliveries_failed`) only for a condition that says what its predicate says."""
    values: list[ColumnElement[int]] = [literal_column(f"{state:d}") for state in states]
    return deliveries.c.status == values[0] if len(values) == 1 else deliveries.c.status.in_(values)


def list_deliveries(
    conn: Connection, where: DeliveryFilter, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the deliveries `where` matches, newest first, and how many it matches."""
    joined = deliveries.join(events, events.c.id == deliveries.c.event_id)
    conditions = where.conditions()
    total = conn.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
    query = (
        select(deliveries, events.c.name.label("event"))
        .select_from(joined)
        .where(*conditions)
        .order_by(deliveries.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return [delivery_json(row) for row in conn.execute(query)], total


def delivery_json(row: Any) -> dict[str, Any]:
    unfinished = row.status not in _FINISHED
    return {
        "id": row.id,
        "hookId": row.hook_id,
        "event": row.event,
        "eventId": row.event_id,
        "status": STATUS_NAMES[DeliveryState(row.status)],
        "attempts": row.attempts,
        "createdAt": row.created_at,
        "firstAttemptAt": row.first_attempt_at,
        "lastAttemptAt": row.last_attempt_at,
        # While leased, when the lease runs out: the attempt under way ends before then.
        "nextAttemptAt": round(row.next_attempt_at * 1000) if unfinished else None,
        "lastStatusCode": row.last_status,
        "error": row.last_error,
    }


def replay(conn: Connection, hook_id: str, delivery_id: str, now: float) -> bool | None:
    """Make a finished delivery of `hook_id` due at `now` (Unix seconds). True if it was
    made due; False if it is pending (or leased) already; None if there is no such delivery."""
    # Conditional, so that a row a dispatcher leases meanwhile is left to it.
    finished = deliveries.c.status.in_(_FINISHED)
    mine = (deliveries.c.id == delivery_id, deliveries.c.hook_id == hook_id)
    if _send_again(conn, now, *mine, finished):
        return True
    return False if conn.execute(select(deliveries.c.id).where(*mine)).first() else None


def recover(conn: Connection, hook_id: str, since: int, until: int | None, now: float) -> int:
    """Make every failed delivery of `hook_id` created in [since, until] (Unix ms) due at
    `now`; returns how many."""
    window = [deliveries.c.created_at >= since, deliveries.c.id >= sortable_floor("msg", since)]
    if until is not None:
        window.append(deliveries.c.created_at <= until)
    return _send_again(
        conn,
        now,
        deliveries.c.hook_id == hook_id,
        _status_in([DeliveryState.FAILED]),
        *window,
    )


def _send_again(conn: Connection, now: float, *where: ColumnElement[bool]) -> int:
    result = conn.execute(
        update(deliveries)
        .where(*where)
        .values(status=DeliveryState.PENDING, next_attempt_at=now, worker=None)
    )
    if result.rowcount:
        wake_dispatchers_at_commit(Cursor(conn), TransactionState.of(conn))
    return result.rowcount
