"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection

from hookline.db.sql import Cursor
from hookline.db.unit import TransactionState
from hookline.events.payloads import event_body, iso_now
from hookline.ids import now_ms, sortable_id
from hookline.outbox.fanout import subscribed_hooks
from hookline.outbox.queue.values import WAKE_CHANNEL, DeliveryState

_INSERT_EVENT = "INSERT INTO events (id, name, body, created_at) VALUES (?,?,?,?)"
_INSERT_EVENT_ONCE = (
    "INSERT INTO events (id, name, body, idempotency_key, created_at) VALUES (?,?,?,?,?)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
)
_FAN_OUT = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    f" created_at) VALUES (?,?,?,{DeliveryState.PENDING:d},0,?,?)"
)
_FAN_OUT_ARRAYS = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    " created_at) SELECT unnest(?::text[]), ?, unnest(?::text[]),"
    f" {DeliveryState.PENDING:d}, 0, ?, ?"
)
_INSERT_EVENT_AND_FAN_OUT = (
    "WITH event AS (INSERT INTO events (id, name, body, created_at) VALUES (?,?,?,?)) "
    + _FAN_OUT_ARRAYS
)


def emit(
    conn: Connection,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str | None = None,
) -> str:
    """Store `event` and one delivery per enabled hook subscribed to it; return the event id.

    Runs in the caller's transaction and never commits: the event exists exactly when the
    change that caused it does. A repeated `idempotency_key` returns the first event's id
    and stores nothing. Deliveries stored ask the unit of work for its on-commit callback,
    which wakes the dispatchers.
    """
    cursor = Cursor(conn)
    transaction = TransactionState.of(conn)
    hook_ids = subscribed_hooks(cursor, str(conn.engine.url), event, transaction)
    event_id = sortable_id("evt")
    created_ms = now_ms()
    body = event_body(event, iso_now(), payload)
    deliveries = [sortable_id("msg") for _ in hook_ids]
    if idempotency_key is not None:
        cursor.execute(_INSERT_EVENT_ONCE, (event_id, event, body, idempotency_key, created_ms))
        if cursor.rowcount == 0:
            cursor.execute("SELECT id FROM events WHERE idempotency_key = ?", (idempotency_key,))
            return str(cursor.fetchone()[0])
        _fan_out(cursor, event_id, hook_ids, deliveries, created_ms)
    elif hook_ids and cursor.dialect == "postgresql":
        # The event and its deliveries in one statement: one round trip to the server.
        cursor.execute(
            _INSERT_EVENT_AND_FAN_OUT,
            (
                event_id,
                event,
                body,
                created_ms,
                deliveries,
                event_id,
                hook_ids,
                time.time(),
                created_ms,
            ),
        )
    else:
        cursor.execute(_INSERT_EVENT, (event_id, event, body, created_ms))
        _fan_out(cursor, event_id, hook_ids, deliveries, created_ms)
    if hook_ids:
        if cursor.dialect == "postgresql" and not transaction.notified:
            # Sent at commit, to the dispatchers that listen (outbox.queue.listener); once
            # is enough.
            cursor.execute(f"NOTIFY {WAKE_CHANNEL}")
            transaction.notified = True
        transaction.on_commit_due = True
    return event_id


def _fan_out(
    cursor: Cursor, event_id: str, hook_ids: list[str], deliveries: list[str], created_ms: int
) -> None:
    if not hook_ids:
        return
    due = time.time()
    if cursor.dialect == "postgresql":
        # One statement, not one execution per hook: each is a round trip.
        cursor.execute(_FAN_OUT_ARRAYS, (deliveries, event_id, hook_ids, due, created_ms))
    else:
        rows = zip(deliveries, hook_ids, strict=True)
        cursor.executemany(_FAN_OUT, [(d, event_id, h, due, created_ms) for d, h in rows])
