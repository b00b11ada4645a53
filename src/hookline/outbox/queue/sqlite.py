"""The delivery queue on SQLite (`sqlite3`, for one host).

The connection never waits inside SQLite for another writer's lock: that would stop the
event loop, and every request in flight with it. A statement that finds the database locked
fails at once and is tried again after a pause on the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from hookline.db.engine import connect_raw, is_locked
from hookline.outbox.fanout import SUBSCRIBERS
from hookline.outbox.queue import health, pacing
from hookline.outbox.queue.base import Queue
from hookline.outbox.queue.health import HealthPolicy, HealthReport
from hookline.outbox.queue.owners import LEASE_HOLDERS, dead_here
from hookline.outbox.queue.pacing import Slots, slots
from hookline.outbox.queue.pruning import SQLITE_PRUNE, Prunable, cutoff
from hookline.outbox.queue.targets import HOOKS, REVISION, HookTargets
from hookline.outbox.queue.turns import HOLD, IN_TURN, PASS_TURN
from hookline.outbox.queue.values import (
    UNFINISHED,
    Claimed,
    ClaimRequest,
    DeliveryState,
    Finish,
    LogRow,
)
from hookline.outbox.wakeup import WakeListener, wake_directory

T = TypeVar("T")

_PENDING, _LEASED = DeliveryState.PENDING, DeliveryState.LEASED
_FINISH = (
    "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, worker = NULL,"
    " first_attempt_at = coalesce(first_attempt_at, ?5),"
    " last_attempt_at = coalesce(?5, last_attempt_at),"
    " last_status = CASE WHEN ?5 IS NULL THEN last_status ELSE ?6 END,"
    " last_error = CASE WHEN ?5 IS NULL THEN last_error ELSE ?7 END"
    " WHERE id = ?1 AND worker = ?8"
)
_LOG = (
    f"INSERT INTO logs ({', '.join(LogRow._fields)}) VALUES ({','.join('?' * len(LogRow._fields))})"
)
# Numbered parameters, as SQLite writes them.
_HOLD, _PASS_TURN = HOLD.format(lock="").replace("$", "?"), PASS_TURN.replace("$", "?")
_LOCK_PACING, _MOVE_PACING = pacing.LOCK.replace("$", "?"), pacing.MOVE.replace("$", "?")
_EVENTS = "SELECT id, name, body, subject, sequence FROM events WHERE id IN ({marks})"
_RELEASE = (
    f"UPDATE deliveries SET status = {_PENDING:d}, next_attempt_at = ?, worker = NULL"
    " WHERE id = ? AND worker = ?"
)
_RELEASE_ORPHANS = (
    f"UPDATE deliveries SET status = {_PENDING:d}, next_attempt_at = ?, worker = NULL"
    f" WHERE status = {_LEASED:d} AND worker = ?"
)


class SqliteQueue(Queue):
    def __init__(self, conn: sqlite3.Connection, worker: str, wake_directory: Path) -> None:
        self._conn = conn
        self.worker = worker
        self._targets = HookTargets()
        self._wake_directory = wake_directory
        self._listener: WakeListener | None = None

    @classmethod
    def open(cls, database_url: str, worker: str) -> SqliteQueue:
        conn = connect_raw(database_url, wait_for_lock=False)
        return cls(conn, worker, wake_directory(database_url))

    async def listen(self, wake: asyncio.Event) -> None:
        self._listener = WakeListener(self._wake_directory, wake)

    async def claim(self, request: ClaimRequest) -> list[Claimed]:
        return await _awaiting_lock(self._claim, request)

    async def next_due(self, skip: Sequence[str] = ()) -> float | None:
        return await _awaiting_lock(self._next_due, skip)

    async def finish(
        self,
        finishes: Iterable[Finish],
        log_rows: Sequence[LogRow],
        policy: HealthPolicy | None = None,
    ) -> HealthReport:
        return await _awaiting_lock(self._finish, list(finishes), log_rows, policy)

    async def reserve(
        self, hook_id: str, wanted: int, interval: float, now: float, reach: float
    ) -> Slots:
        return await _awaiting_lock(self._reserve, hook_id, wanted, interval, now, reach)

    async def pass_turns(self, turns: Sequence[tuple[str, str]], now: float) -> None:
        await _awaiting_lock(self._pass_turns, turns, now)

    async def release(self, delivery_ids: Sequence[str], now: float) -> None:
        await _awaiting_lock(self._release, delivery_ids, now)

    async def release_orphans(self, now: float) -> int:
        return await _awaiting_lock(self._release_orphans, now)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._conn.close()

    def _claim(self, request: ClaimRequest) -> list[Claimed]:
        full, room = request.full(), request.room()
        sql = _claim_statement(len(full), len(room))
        params = (
            *(value for pair in room for value in pair),
            request.lease_until,
            self.worker,
            request.now,
            *full,
            request.limit * 2,
            request.per_hook,
            request.limit,
        )
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._targets.any_ordered:
                conn.execute(_HOLD, (request.lease_until, request.now))
            leased = conn.execute(sql, params).fetchall()
            rows = []
            if leased:
                # Each event once, however many of its deliveries the claim took.
                event_ids = list({event_id for _, event_id, *_ in leased})
                marks = ",".join("?" * len(event_ids))
                events = {
                    event_id: rest
                    for event_id, *rest in conn.execute(_EVENTS.format(marks=marks), event_ids)
                }
                rows = [
                    (delivery, event_id, hook_id, attempts, *events[event_id], ordered)
                    for delivery, event_id, hook_id, attempts, ordered in leased
                ]
                revision = conn.execute(REVISION).fetchone()[0]
                if self._targets.stale(revision):
                    self._targets.load(revision, conn.execute(HOOKS))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return self._targets.claimed(rows)

    def _next_due(self, skip: Sequence[str]) -> float | None:
        without = f" AND hook_id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        row = self._conn.execute(
            f"SELECT min(next_attempt_at) FROM deliveries AS d"
            f" WHERE {UNFINISHED}{without} AND {IN_TURN}",
            tuple(skip),
        ).fetchone()
        return row[0] if row else None

    def _finish(
        self, finishes: list[Finish], log_rows: Sequence[LogRow], policy: HealthPolicy | None
    ) -> HealthReport:
        conn = self._conn
        report = HealthReport()
        conn.execute("BEGIN IMMEDIATE")
        try:
            updated = conn.executemany(
                _FINISH,
                [
                    (
                        f.delivery_id,
                        f.status,
                        f.attempts,
                        f.next_attempt_at,
                        f.attempted_at,
                        f.status_code,
                        f.error,
                        self.worker,
                    )
                    for f in finishes
                ],
            ).rowcount
            if log_rows:
                conn.executemany(_LOG, log_rows)
            if policy is not None:
                if updated < len(finishes):  # a lease lost: its delivery is another's now
                    finishes = self._applied(finishes)
                report = self._keep_health(finishes, policy)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return report

    def _applied(self, finishes: list[Finish]) -> list[Finish]:
        marks = ",".join("?" * len(finishes))
        rows = self._conn.execute(
            f"SELECT id, status, attempts FROM deliveries WHERE id IN ({marks}) AND worker IS NULL",
            [f.delivery_id for f in finishes],
        )
        stored = {delivery: (status, attempts) for delivery, status, attempts in rows}
        return [f for f in finishes if stored.get(f.delivery_id) == (f.status, f.attempts)]

    def _keep_health(self, finishes: list[Finish], policy: HealthPolicy) -> HealthReport:
        conn = self._conn
        hooks = health.attempted_hooks(finishes)
        if not hooks:
            return HealthReport()
        failing = dict(
            conn.execute(
                "SELECT hook_id, failing_since FROM hook_health"
                f" WHERE hook_id IN ({','.join('?' * len(hooks))})",
                hooks,
            )
        )
        plan = health.plan(finishes, failing, policy.disable_after)
        changed = plan.changed.items()
        cleared = [(hook,) for hook, since in changed if since is None]
        if cleared:
            conn.executemany(health.CLEAR, cleared)
        kept = [(since, hook) for hook, since in changed if since is not None]
        if kept:
            conn.executemany(health.KEEP_FAILING, kept)
        disabled = [h for h in plan.disable if conn.execute(health.DISABLE, (h,)).fetchone()]
        if disabled:
            conn.execute(health.HOOKS_CHANGED)
        report = HealthReport({hook: plan.disable[hook][0] for hook in disabled})
        notices = plan.announce(disabled)
        if notices:
            events, deliveries = health.outbox_rows(
                notices, conn.execute(SUBSCRIBERS).fetchall(), policy.now
            )
            conn.executemany(health.INSERT_EVENT, events)
            conn.executemany(health.INSERT_DELIVERY, deliveries)
            report.emitted = len(deliveries)
        return report

    def _reserve(
        self, hook_id: str, wanted: int, interval: float, now: float, reach: float
    ) -> Slots:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(_LOCK_PACING, (hook_id, now)).fetchone()
            if row is None:  # the hook is gone, and its deliveries with it
                taken = Slots(now, wanted, interval)
            else:
                taken = slots(row[0], now, wanted, interval, reach)
                if taken.number:
                    conn.execute(_MOVE_PACING, (hook_id, taken.after))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return taken

    def _pass_turns(self, turns: Sequence[tuple[str, str]], now: float) -> None:
        self._conn.executemany(_PASS_TURN, [(now, hook, subject) for hook, subject in turns])

    def _release(self, delivery_ids: Sequence[str], now: float) -> None:
        self._conn.executemany(_RELEASE, [(now, d, self.worker) for d in delivery_ids])

    def _release_orphans(self, now: float) -> int:
        dead = dead_here(worker for (worker,) in self._conn.execute(LEASE_HOLDERS))
        return sum(self._conn.execute(_RELEASE_ORPHANS, (now, w)).rowcount for w in dead)

    async def prune(self, table: Prunable, before_ms: int, limit: int) -> int:
        return await _awaiting_lock(self._prune, table, before_ms, limit)

    def _prune(self, table: Prunable, before_ms: int, limit: int) -> int:
        return self._conn.execute(SQLITE_PRUNE[table], (cutoff(table, before_ms), limit)).rowcount


def _claim_statement(full: int, room: int) -> str:
    """The claim, skipping `full` hooks and giving `room` others what they have left.

    The head of the queue (twice the batch) is ranked per hook, so that one hook's backlog
    cannot take every slot of the batch. Rows are named by rowid, which the `deliveries_due`
    index holds: by id, each would cost a look-up in the primary key's index too."""
    with_room = f"WITH room (hook_id, n) AS (VALUES {','.join(['(?, ?)'] * room)}) " if room else ""
    skip = f" AND hook_id NOT IN ({','.join('?' * full)})" if full else ""
    within_share = (
        " LEFT JOIN room USING (hook_id) WHERE rank <= coalesce(room.n, ?)"
        if room
        else " WHERE rank <= ?"
    )
    return (
        f"{with_room}UPDATE deliveries SET status = {_LEASED:d}, next_attempt_at = ?, worker = ?"
        " WHERE rowid IN (SELECT rowid FROM (SELECT rowid, hook_id, next_attempt_at,"
        " row_number() OVER (PARTITION BY hook_id ORDER BY next_attempt_at) AS rank"
        " FROM (SELECT d.rowid, hook_id, next_attempt_at FROM deliveries AS d"
        f" WHERE {UNFINISHED} AND next_attempt_at <= ?{skip} AND {IN_TURN}"
        f" ORDER BY next_attempt_at LIMIT ?)) AS due{within_share}"
        " ORDER BY next_attempt_at LIMIT ?)"
        # The column itself: SQLite 3.40 answers `IS NOT NULL` wrongly here, in a RETURNING,
        # for a column added by ALTER TABLE.
        " RETURNING id, event_id, hook_id, attempts, ordered_subject"
    )


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
