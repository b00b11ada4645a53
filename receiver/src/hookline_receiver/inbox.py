"""A durable inbox on SQLite: each verified webhook stored once, by its `webhook-id`, before
the sender gets its answer; then handed out (by `Worker`) until its handler succeeds, the
events of one subject in `hookline-sequence` order.

The file is the whole state: several processes (a web server's workers, a worker process) may
share it, and a restart picks up where the last run stopped. A claim is a lease: the event's
due time moves past the lease, so an event whose worker died is due again once it runs out;
a worker renews the lease (`extend`) while its handler runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hookline_receiver.verify import Webhook

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id TEXT NOT NULL UNIQUE,                     -- webhook-id
    body BLOB NOT NULL,
    timestamp INTEGER,                           -- webhook-timestamp
    subject TEXT,                                -- hookline-subject
    sequence INTEGER,                            -- hookline-sequence
    received_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',       -- pending, done or failed (given up)
    attempts INTEGER NOT NULL DEFAULT 0,         -- times handed out
    due_at REAL NOT NULL,                        -- next hand-out: on arrival, after a failure's
                                                 -- back-off, or when a claim's lease runs out
    finished_at REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS events_due ON events (due_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS events_turn ON events (subject, sequence) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS conflicts (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    digest TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (id, digest)
);
"""

# First in its subject: no event of the subject with a lower sequence is unfinished.
_FIRST_IN_SUBJECT = """
e.state = 'pending'
AND (e.subject IS NULL OR e.sequence IS NULL OR NOT EXISTS (
    SELECT 1 FROM events earlier
    WHERE earlier.state = 'pending' AND earlier.subject = e.subject
      AND earlier.sequence < e.sequence))
"""
_NEXT = f"""
SELECT position FROM events e WHERE {_FIRST_IN_SUBJECT} AND e.due_at <= :now
ORDER BY e.due_at, e.position LIMIT 1
"""
# An event behind another of its subject is not due before that one is done: only the
# first ones' due times tell when to look again.
_NEXT_DUE = f"SELECT min(e.due_at) FROM events e WHERE {_FIRST_IN_SUBJECT}"

_FIELDS = "id, body, timestamp, subject, sequence, received_at, attempts"


class InboxUnavailable(Exception):
    """The inbox file cannot be written now (locked too long, disk full, unreadable)."""


class Stored(StrEnum):
    """What `Inbox.store` did with a request."""

    STORED = "stored"
    """New: stored, to be handed out."""
    DUPLICATE = "duplicate"
    """Its id was stored before with the same body: a retry, nothing more to do."""
    CONFLICT = "conflict"
    """Its id was stored before with another body: kept aside in `conflicts`, not handed out."""


@dataclass(frozen=True, slots=True)
class Event:
    """A stored webhook, as a handler gets it; `attempt` counts from 1."""

    id: str
    body: bytes
    timestamp: int | None
    subject: str | None
    sequence: int | None
    received_at: float
    attempt: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Conflict:
    id: str
    body: bytes
    received_at: float


class Inbox:
    """The inbox in the SQLite file at `path`, created if need be. Safe to share between
    threads (a connection each) and processes (SQLite's locks, WAL)."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        # Wakes the workers of this process when a webhook arrives or an event is finished,
        # which may let its subject's next go (changes made by other processes are polled).
        self._changes = 0
        self._changed = threading.Condition()
        try:
            self._connection().executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise InboxUnavailable(f"{self.path}: {error}") from error

    def store(self, webhook: Webhook, *, now: float | None = None) -> Stored:
        """Store a webhook as `verify` returned it, once by its id: the `webhook-id` its
        signature covers. Under Logto's signature alone nothing signs an id, so the body's
        SHA-256 stands for one whatever `webhook-id` the request carried: a header anyone may
        set cannot make an old body new, nor take a future delivery's id. Committed to disk
        when this returns. Raises InboxUnavailable when the file cannot be written."""
        now = time.time() if now is None else now
        body = webhook.body
        msg_id = webhook.id if webhook.scheme != "logto" and webhook.id else _body_id(body)
        row = (msg_id, body, webhook.timestamp, webhook.subject, webhook.sequence, now, now)
        outcome = self._store(row, body, now)
        if outcome is Stored.STORED:
            self._notify()
        return outcome

    def _store(self, row: tuple[Any, ...], body: bytes, now: float) -> Stored:
        msg_id = row[0]
        with self._transaction() as conn:
            if conn.execute(
                "INSERT INTO events (id, body, timestamp, subject, sequence, received_at, due_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                row,
            ).rowcount:
                return Stored.STORED
            (stored_body,) = conn.execute(
                "SELECT body FROM events WHERE id = ?", (msg_id,)
            ).fetchone()
            if stored_body == bytes(body):
                return Stored.DUPLICATE
            conn.execute(
                "INSERT INTO conflicts (id, digest, body, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id, digest) DO NOTHING",
                (msg_id, hashlib.sha256(body).hexdigest(), body, now),
            )
            return Stored.CONFLICT

    def claim(self, *, lease: float, now: float | None = None) -> Event | None:
        """The next event to hand out, if one is due, leased for `lease` seconds: until then
        no one else gets it, and after that anyone may (its worker is taken for dead)."""
        now = time.time() if now is None else now
        with self._transaction() as conn:
            found = conn.execute(_NEXT, {"now": now}).fetchone()
            if found is None:
                return None
            # No RETURNING: SQLite has it from 3.35 only, and Python may bring an older one.
            conn.execute(
                "UPDATE events SET attempts = attempts + 1, due_at = ? WHERE position = ?",
                (now + lease, found[0]),
            )
            row = conn.execute(
                f"SELECT {_FIELDS} FROM events WHERE position = ?", (found[0],)
            ).fetchone()
        return Event(*row)

    def extend(self, event: Event, *, lease: float, now: float | None = None) -> bool:
        """Renew this claim of `event` for `lease` seconds from `now` (a handler still at
        work); False if the claim no longer holds: the event was finished, or its lease ran
        out and another worker took it (a later attempt)."""
        now = time.time() if now is None else now
        with self._transaction() as conn:
            return (
                conn.execute(
                    "UPDATE events SET due_at = ?"
                    " WHERE id = ? AND state = 'pending' AND attempts = ?",
                    (now + lease, event.id, event.attempt),
                ).rowcount
                == 1
            )

    def succeeded(self, event: Event, *, now: float | None = None) -> None:
        """The handler returned: never hand `event` out again."""
        now = time.time() if now is None else now
        with self._transaction() as conn:
            conn.execute(
                "UPDATE events SET state = 'done', finished_at = ?, last_error = NULL"
                " WHERE id = ? AND state = 'pending'",
                (now, event.id),
            )
        self._notify()

    def failed(
        self, event: Event, error: str, *, retry_at: float | None, now: float | None = None
    ) -> None:
        """The handler raised: hand `event` out again at `retry_at`, or never (None: given up,
        and the next event of its subject may go). Only this claim's own failure counts: if
        its lease ran out and another worker took it, that one decides."""
        now = time.time() if now is None else now
        state, due = ("pending", retry_at) if retry_at is not None else ("failed", now)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE events SET state = ?, due_at = ?, last_error = ?,"
                " finished_at = CASE WHEN ? = 'failed' THEN ? END"
                " WHERE id = ? AND state = 'pending' AND attempts = ?",
                (state, due, error[:2000], state, now, event.id, event.attempt),
            )
        self._notify()

    def next_due(self) -> float | None:
        """When the next event may be handed out, as far as this inbox knows now (the end of
        a failure's back-off, or of a lease); None when nothing is pending."""
        with self._transaction() as conn:
            (due,) = conn.execute(_NEXT_DUE).fetchone()
        return due

    def counts(self) -> dict[str, int]:
        """Events by state (`pending`, `done`, `failed`), and `conflicts`."""
        with self._transaction() as conn:
            counts = dict(conn.execute("SELECT state, count(*) FROM events GROUP BY state"))
            counts["conflicts"] = conn.execute("SELECT count(*) FROM conflicts").fetchone()[0]
        return {"pending": 0, "done": 0, "failed": 0} | counts

    def conflicts(self) -> list[Conflict]:
        """Requests that reused a stored id with another body, oldest first."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT id, body, received_at FROM conflicts ORDER BY position"
            ).fetchall()
        return [Conflict(*row) for row in rows]

    def forget_done(self, before: float) -> int:
        """Delete the events handled before `before` (a Unix time); returns how many. A
        sender's retry of one of them after that would be handed out again: keep them longer
        than the sender retries (hookline's default schedule: about three days)."""
        with self._transaction() as conn:
            return conn.execute(
                "DELETE FROM events WHERE state = 'done' AND finished_at < ?", (before,)
            ).rowcount

    def changes(self) -> int:
        """How many webhooks this process stored and events it finished: a worker with
        nothing to do waits for this to change."""
        return self._changes

    def wait_for_change(self, seen: int, timeout: float) -> None:
        """Return once `changes()` is no longer `seen`, or `wake()` is called, or after
        `timeout` seconds."""
        with self._changed:
            if self._changes == seen:
                self._changed.wait(timeout)

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _notify(self) -> None:
        with self._changed:
            self._changes += 1
            self._changed.notify_all()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (`BEGIN IMMEDIATE`): a claim reads and updates
        with no other writer in between. SQLite's errors leave as InboxUnavailable."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            raise InboxUnavailable(str(error)) from error

    def close(self) -> None:
        """Close this thread's connection (each thread opens its own on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A connection must not cross a fork (a web server's workers forked after the inbox
        # was made): a process of its own opens its own.
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            self._local.pid = os.getpid()
            conn.execute("PRAGMA journal_mode = WAL")
            # Each commit reaches the disk before the sender hears 2xx (NORMAL would keep the
            # last ones in the WAL's page cache through a power loss).
            conn.execute("PRAGMA synchronous = FULL")
            self._local.conn = conn
        return conn


def _body_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
