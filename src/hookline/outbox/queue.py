"""The delivery queue: the only SQL that claims, reschedules and finishes deliveries.

Statuses: 0 pending, 1 leased, 2 delivered, 3 failed, 4 cancelled (hook gone or disabled).
A lease is written as `next_attempt_at = lease expiry`, so an expired lease is due again
and the claim needs a single index.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hookline.db.sql import json_value

PENDING, LEASED, DELIVERED, FAILED, CANCELLED = range(5)
# The target of a hook that no longer exists: its deliveries are cancelled.
_GONE = (None, None, "", 0, False)


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: str
    event_id: str
    hook_id: str
    attempts: int
    event: str
    body: bytes
    # None when the hook is gone.
    url: str | None
    headers: dict[str, str] | None
    signing_key: str
    retries: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class Finish:
    delivery_id: str
    status: int
    attempts: int
    next_attempt_at: float = 0.0


def hook_target(config_json: str, signing_key: str, enabled: object) -> tuple:
    """What a dispatcher needs of a hook: (url, headers, signing key, retries, enabled)."""
    config = json_value(config_json)
    return (
        config.get("url"),
        config.get("headers"),
        signing_key,
        config.get("retries", 3),
        bool(enabled),
    )


def claimed_rows(rows: Iterable[Sequence], hooks: Mapping[str, tuple]) -> list[Claimed]:
    """Claimed deliveries from (id, event id, hook id, attempts, event name, body) rows."""
    return [
        Claimed(delivery_id, event_id, hook_id, attempts, name, body, *hooks.get(hook_id, _GONE))
        for delivery_id, event_id, hook_id, attempts, name, body in rows
    ]


def hook_shares(
    busy: Mapping[str, int] | None, per_hook: int
) -> tuple[list[str], list[tuple[str, int]]]:
    """The hooks a claim must skip (their share is in flight) and the room left to the
    others that have some in flight: (hook, deliveries it may still take)."""
    busy = busy or {}
    full = [hook for hook, n in busy.items() if n >= per_hook]
    room = [(hook, per_hook - n) for hook, n in busy.items() if n < per_hook]
    return full, room


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class SqliteQueue:
    def __init__(self, conn: sqlite3.Connection, worker: str) -> None:
        self._conn = conn
        self.worker = worker
        self._hooks_cache: dict[str, tuple] = {}
        self._hooks_revision = -1

    def claim(
        self,
        limit: int,
        now: float,
        lease_until: float,
        per_hook: int,
        busy: Mapping[str, int] | None = None,
    ) -> list[Claimed]:
        """Lease up to `limit` due deliveries, oldest first, at most `per_hook` per hook
        counting the `busy` ones (hook → deliveries this dispatcher has in flight)."""
        full, room = hook_shares(busy, per_hook)
        skip = f" AND hook_id NOT IN ({','.join('?' * len(full))})" if full else ""
        with_room = ""
        if room:
            with_room = f"WITH room (hook_id, n) AS (VALUES {','.join(['(?, ?)'] * len(room))}) "
        # Rank the head of the queue per hook, so that one hook's backlog cannot take
        # every slot of the batch.
        sql = (
            f"{with_room}UPDATE deliveries SET status = 1, next_attempt_at = ?, worker = ?"
            " WHERE id IN (SELECT id FROM (SELECT id, hook_id, next_attempt_at,"
            " row_number() OVER (PARTITION BY hook_id ORDER BY next_attempt_at) AS rank"
            " FROM (SELECT id, hook_id, next_attempt_at FROM deliveries"
            f" WHERE status < 2 AND next_attempt_at <= ?{skip}"
            " ORDER BY next_attempt_at LIMIT ?)) AS due"
            + (
                " LEFT JOIN room USING (hook_id) WHERE rank <= coalesce(room.n, ?)"
                if room
                else " WHERE rank <= ?"
            )
            + " ORDER BY next_attempt_at LIMIT ?)"
            " RETURNING id, event_id, hook_id, attempts,"
            " (SELECT name FROM events WHERE events.id = event_id),"
            " (SELECT body FROM events WHERE events.id = event_id)"
        )
        params = (
            *(value for pair in room for value in pair),
            lease_until,
            self.worker,
            now,
            *full,
            limit * 2,
            per_hook,
            limit,
        )
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(sql, params).fetchall()
            hooks = self._hooks() if rows else {}
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return claimed_rows(rows, hooks)

    def _hooks(self) -> dict[str, tuple]:
        """Every hook's target, reloaded only when the hooks revision has moved."""
        revision = self._conn.execute(
            "SELECT value FROM revisions WHERE name = 'hooks'"
        ).fetchone()[0]
        if revision != self._hooks_revision:
            targets = {
                hook_id: hook_target(config, key, enabled)
                for hook_id, config, key, enabled in self._conn.execute(
                    "SELECT id, config, signing_key, enabled FROM hooks"
                )
            }
            self._hooks_cache, self._hooks_revision = targets, revision
        return self._hooks_cache

    def close(self) -> None:
        self._conn.close()

    def next_due(self, skip: Sequence[str] = ()) -> float | None:
        """When the next delivery comes due, leaving out the hooks in `skip` (those whose
        share this dispatcher has in flight: waiting for them would be a busy loop)."""
        without = f" AND hook_id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        row = self._conn.execute(
            f"SELECT min(next_attempt_at) FROM deliveries WHERE status < 2{without}", tuple(skip)
        ).fetchone()
        return row[0] if row else None

    def finish(self, finishes: Iterable[Finish], log_rows: Sequence[tuple]) -> None:
        """Record outcomes and their log rows in one transaction; only our own leases change."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " worker = NULL WHERE id = ? AND worker = ?",
                [
                    (f.status, f.attempts, f.next_attempt_at, f.delivery_id, self.worker)
                    for f in finishes
                ],
            )
            if log_rows:
                conn.executemany(
                    "INSERT INTO logs (id, key, hook_id, delivery_id, event_id, attempt, result,"
                    " status_code, response_body, error, duration_ms, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    log_rows,
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def release(self, delivery_ids: Sequence[str], now: float) -> None:
        """Give leased deliveries back, due at once (a graceful stop)."""
        self._conn.executemany(
            "UPDATE deliveries SET status = 0, next_attempt_at = ?, worker = NULL"
            " WHERE id = ? AND worker = ?",
            [(now, d, self.worker) for d in delivery_ids],
        )

    def release_orphans(self, now: float) -> int:
        """Make due the leases of dead dispatchers on this host, without waiting for expiry."""
        host = socket.gethostname()
        workers = [
            w
            for (w,) in self._conn.execute(
                "SELECT DISTINCT worker FROM deliveries WHERE status = 1 AND worker IS NOT NULL"
            )
        ]
        dead = [w for w in workers if is_dead_local(w, host)]
        released = 0
        for worker in dead:
            cursor = self._conn.execute(
                "UPDATE deliveries SET status = 0, next_attempt_at = ?, worker = NULL"
                " WHERE status = 1 AND worker = ?",
                (now, worker),
            )
            released += cursor.rowcount
        return released


def is_dead_local(worker: str, host: str) -> bool:
    """Whether `worker` ran on this host in a process that is gone."""
    name, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if name != host or not pid_text.isdigit():
        return False
    try:
        stat = Path(f"/proc/{pid_text}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    # A zombie (state Z) is dead too, though nobody has reaped it yet.
    return stat.rpartition(")")[2].split()[0] == "Z"
