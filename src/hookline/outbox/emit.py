"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection

from hookline.db.sql import Cursor
from hookline.db.unit import TransactionState
from hookline.events.payloads import event_body, iso_now
from hookline.events.subjects import subject_of
from hookline.ids import now_ms, sortable_id, sortable_ids
from hookline.outbox.fanout import subscribed_hooks
from hookline.outbox.queue.values import WAKE_CHANNEL, DeliveryState

_INSERT_EVENT = (
    "INSERT INTO events (id, name, body, created_at, subject, sequence) VALUES (?,?,?,?,?,?)"
)
_INSERT_EVENT_ONCE = (
    "INSERT INTO events (id, name, body, created_at, subject, sequence, idempotency_key)"
    " VALUES (?,?,?,?,?,?,?) ON CONFLICT (idempotency_key) DO NOTHING"
)
_EVENT_OF_KEY = "SELECT id FROM events WHERE idempotency_key = ?"
# The subject's row stays locked until the transaction ends: on PostgreSQL, the events of one
# subject are numbered one transaction after the other, in the order they commit.
_NEXT_SEQUENCE = (
    "INSERT INTO subjects (subject, sequence) VALUES (?, 1) ON CONFLICT (subject)"
    " DO UPDATE SET sequence = subjects.sequence + 1 RETURNING sequence"
)
_GIVE_BACK = "UPDATE subjects SET sequence = sequence - 1 WHERE subject = ?"
_INSERT_DELIVERIES = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    f" created_at) VALUES (?,?,?,{DeliveryState.PENDING:d},0,?,?)"
)
# PostgreSQL's: every delivery of the event in one execution, from arrays of ids.
_INSERT_DELIVERIES_FROM_ARRAYS = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    " created_at) SELECT unnest(?::text[]), ?, unnest(?::text[]),"
    f" {DeliveryState.PENDING:d}, 0, ?, ?"
)
# PostgreSQL's, for an event with no delivery in order: the subject's next number (if it has
# a subject), the event and its deliveries in one statement, one round trip to the server.
# Parameters: the subject, the event's columns but its number, then those of
# _INSERT_DELIVERIES_FROM_ARRAYS.
_INSERT_NUMBERED_EVENT_AND_DELIVERIES = (
    "WITH numbered AS (INSERT INTO subjects (subject, sequence)"
    " SELECT subject, 1 FROM (SELECT ?::text AS subject) AS this WHERE subject IS NOT NULL"
    " ON CONFLICT (subject) DO UPDATE SET sequence = subjects.sequence + 1 RETURNING sequence),"
    " event AS (INSERT INTO events (id, name, body, created_at, subject, sequence)"
    " VALUES (?, ?, ?, ?, ?, (SELECT sequence FROM numbered))) " + _INSERT_DELIVERIES_FROM_ARRAYS
)
_INSERT_ORDERED_DELIVERIES = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    " created_at, ordered_subject, ordered_sequence)"
    f" VALUES (?,?,?,{DeliveryState.PENDING:d},0,?,?,?,?)"
)

# How often an idempotency key may be found taken and then free (its event deleted by
# retention between the two statements): retention deletes old events only, so once is
# already rare and twice in a row takes a new event under the key being deleted as well.
_KEY_ATTEMPTS = 3


def emit(
    conn: Connection,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str | None = None,
    event_id: str | None = None,
    created_at: str | None = None,
) -> str:
    """Store `event` and one delivery per enabled hook subscribed to it; return the event id.

    Runs in the caller's transaction and never commits: the event exists exactly when the
    change that caused it does. A repeated `idempotency_key` returns the id of the event
    stored under it and stores nothing. An event about a subject (events.subjects) gets the
    next number of that subject. Deliveries stored wake the dispatchers at commit.
    `created_at`: the body's `createdAt` (ISO 8601) when the event happened elsewhere before
    (a relayed Logto event); now by default.
    `event_id` is for an event whose body was already sent with it (a synchronous hook's
    call, with its `created_at` too), so that the stored event is the one sent.
    """
    cursor = Cursor(conn)
    transaction = TransactionState.of(conn)
    subscribers = subscribed_hooks(cursor, str(conn.engine.url), event, transaction)
    event_id = event_id or sortable_id("evt")
    created_ms = now_ms()
    due = time.time()
    body = event_body(event, created_at or iso_now(), payload)
    subject = subject_of(event, payload)
    # Hooks ordered by subject wait their turn (ordered_subject); an event about no subject
    # has no turn to wait for.
    unordered, ordered = subscribers.hooks, []
    if subject is not None and subscribers.ordered:
        ordered = [h for h in unordered if h in subscribers.ordered]
        unordered = [h for h in unordered if h not in subscribers.ordered]
    delivery_ids = sortable_ids("msg", len(unordered))
    if cursor.dialect == "postgresql" and idempotency_key is None and not ordered:
        # Numbered, stored and fanned out in one round trip to the server.
        cursor.execute(
            _INSERT_NUMBERED_EVENT_AND_DELIVERIES,
            (subject, event_id, event, body, created_ms, subject)
            + (delivery_ids, event_id, unordered, due, created_ms),
        )
    else:
        sequence = cursor.execute(_NEXT_SEQUENCE, (subject,)).fetchone()[0] if subject else None
        event_row = (event_id, event, body, created_ms, subject, sequence)
        if idempotency_key is not None:
            holder = _insert_once(cursor, event_row, idempotency_key)
            if holder is not None:
                if subject is not None:
                    # Nobody took a later number: the subject's row is this transaction's.
                    cursor.execute(_GIVE_BACK, (subject,))
                return holder
        else:
            cursor.execute(_INSERT_EVENT, event_row)
        _insert_deliveries(cursor, event_id, unordered, delivery_ids, due, created_ms)
        if ordered:
            ordered_ids = sortable_ids("msg", len(ordered))
            cursor.executemany(
                _INSERT_ORDERED_DELIVERIES,
                [
                    (delivery, event_id, h, due, created_ms, subject, sequence)
                    for delivery, h in zip(ordered_ids, ordered, strict=True)
                ],
            )
    if unordered or ordered:
        wake_dispatchers_at_commit(cursor, transaction)
    return event_id


def has_subscribers(conn: Connection, event: str) -> bool:
    """Some enabled (asynchronous) hook would get `event`: cached, as for `emit`."""
    transaction = TransactionState.of(conn)
    return bool(subscribed_hooks(Cursor(conn), str(conn.engine.url), event, transaction).hooks)


def wake_dispatchers_at_commit(cursor: Cursor, transaction: TransactionState) -> None:
    """Call when `transaction` (the one `cursor` runs in) makes deliveries due: the dispatchers
    are woken once it commits, by a NOTIFY on PostgreSQL (outbox.queue.listener) and by the
    unit of work's on-commit callback (outbox.wakeup)."""
    if cursor.dialect == "postgresql" and not transaction.notified:
        # PostgreSQL sends it at commit, and once per transaction is enough.
        cursor.execute(f"NOTIFY {WAKE_CHANNEL}")
        transaction.notified = True
    transaction.on_commit_due = True


def _insert_once(cursor: Cursor, event_row: tuple[Any, ...], key: str) -> str | None:
    """Store the event of `event_row` under `key`, unless an event holds the key: return the
    id of that event, or None once this one is stored."""
    for _ in range(_KEY_ATTEMPTS):
        if cursor.execute(_INSERT_EVENT_ONCE, (*event_row, key)).rowcount:
            return None
        # Each statement sees the latest commits (PostgreSQL's READ COMMITTED): the event
        # that held the key at the insert may be gone by now, and the key free.
        holder = cursor.execute(_EVENT_OF_KEY, (key,)).fetchone()
        if holder is not None:
            return str(holder[0])
    raise RuntimeError(f"the idempotency key {key!r} was taken and freed {_KEY_ATTEMPTS} times")


def _insert_deliveries(
    cursor: Cursor,
    event_id: str,
    hook_ids: list[str],
    delivery_ids: list[str],
    due: float,
    created_ms: int,
) -> None:
    if not hook_ids:
        return
    if cursor.dialect == "postgresql":
        # One statement, not one execution per hook: each is a round trip.
        cursor.execute(
            _INSERT_DELIVERIES_FROM_ARRAYS, (delivery_ids, event_id, hook_ids, due, created_ms)
        )
    else:
        rows = zip(delivery_ids, hook_ids, strict=True)
        cursor.executemany(_INSERT_DELIVERIES, [(d, event_id, h, due, created_ms) for d, h in rows])
