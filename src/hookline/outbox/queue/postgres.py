"""The delivery queue on PostgreSQL (asyncpg), for many workers on one database.

Claims lock their rows with `FOR UPDATE SKIP LOCKED`, so workers never wait for each other
and never take the same delivery; a lease (`worker` = owner) lets another worker take over
from one that died.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import asyncpg

from hookline.db.engine import postgres_dsn
from hookline.outbox.fanout import SUBSCRIBERS
from hookline.outbox.queue import health, pacing
from hookline.outbox.queue.base import Queue
from hookline.outbox.queue.health import HealthPolicy, HealthReport, numbered
from hookline.outbox.queue.listener import NotifyListener
from hookline.outbox.queue.owners import LEASE_HOLDERS, dead_here
from hookline.outbox.queue.pacing import Slots, slots
from hookline.outbox.queue.pruning import POSTGRES_PRUNE, Prunable, cutoff
from hookline.outbox.queue.targets import HOOKS, REVISION, HookTargets
from hookline.outbox.queue.turns import HOLD, IN_TURN, PASS_TURN
from hookline.outbox.queue.values import (
    UNFINISHED,
    WAKE_CHANNEL,
    Claimed,
    ClaimRequest,
    DeliveryState,
    Finish,
    LogRow,
)

_PENDING, _LEASED = DeliveryState.PENDING, DeliveryState.LEASED
# The head of the queue (twice the batch), ranked per hook so that one hook's backlog cannot
# take every slot; hooks this worker has no room for are skipped; rows another worker has
# locked are passed over.
_CLAIM = f"""
WITH room (hook_id, n) AS (SELECT * FROM unnest($6::text[], $7::int[])),
due AS (
    SELECT id, hook_id, next_attempt_at FROM deliveries AS d
    WHERE {UNFINISHED} AND next_attempt_at <= $1 AND NOT hook_id = ANY($5::text[])
        AND {IN_TURN}
    ORDER BY next_attempt_at LIMIT $2
    FOR UPDATE SKIP LOCKED
),
ranked AS (
    SELECT due.id, due.next_attempt_at, coalesce(room.n, $3) AS room,
        row_number() OVER (PARTITION BY due.hook_id ORDER BY due.next_attempt_at) AS rank
    FROM due LEFT JOIN room USING (hook_id)
),
picked AS (SELECT id FROM ranked WHERE rank <= room ORDER BY next_attempt_at LIMIT $4)
UPDATE deliveries AS d SET status = {_LEASED:d}, next_attempt_at = $8, worker = $9
FROM picked, events AS e
WHERE d.id = picked.id AND e.id = d.event_id
RETURNING d.id, d.event_id, d.hook_id, d.attempts, e.name, e.body, e.subject, e.sequence,
    d.ordered_subject
"""
# Then, in the same round trip, how many rows were updated (fewer than given: a lease lost)
# and the `hook_health` rows of the hooks $9 (none: a row of nulls).
_FINISH = """
WITH done AS (
UPDATE deliveries AS d SET status = f.status, attempts = f.attempts,
    next_attempt_at = f.next_attempt_at, worker = NULL,
    first_attempt_at = coalesce(d.first_attempt_at, f.attempted_at),
    last_attempt_at = coalesce(f.attempted_at, d.last_attempt_at),
    last_status = CASE WHEN f.attempted_at IS NULL THEN d.last_status ELSE f.status_code END,
    last_error = CASE WHEN f.attempted_at IS NULL THEN d.last_error ELSE f.error END
FROM unnest($1::text[], $2::int[], $3::int[], $4::float8[], $5::int8[], $6::int[], $7::text[])
    AS f (id, status, attempts, next_attempt_at, attempted_at, status_code, error)
WHERE d.id = f.id AND d.worker = $8
RETURNING 1
)
SELECT (SELECT count(*) FROM done) AS updated, h.hook_id, h.failing_since
FROM (SELECT 1) AS one LEFT JOIN hook_health AS h ON h.hook_id = ANY($9::text[])
"""
_APPLIED = """
SELECT id, status, attempts FROM deliveries WHERE id = ANY($1::text[]) AND worker IS NULL
"""
_HOLD = HOLD.format(lock=" FOR UPDATE SKIP LOCKED")
_RELEASE = f"""
UPDATE deliveries SET status = {_PENDING:d}, next_attempt_at = $1, worker = NULL
WHERE id = ANY($2::text[]) AND worker = $3
"""
_RELEASE_ORPHANS = f"""
UPDATE deliveries SET status = {_PENDING:d}, next_attempt_at = $1, worker = NULL
WHERE status = {_LEASED:d} AND worker = ANY($2::text[])
"""
_NEXT_DUE = (
    f"SELECT min(next_attempt_at) FROM deliveries AS d"
    f" WHERE {UNFINISHED} AND NOT hook_id = ANY($1::text[]) AND {IN_TURN}"
)


class PostgresQueue(Queue):
    def __init__(self, pool: asyncpg.Pool, dsn: str, worker: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self.worker = worker
        self._targets = HookTargets()
        self._listener: NotifyListener | None = None

    @classmethod
    async def open(cls, database_url: str, worker: str) -> PostgresQueue:
        # Claims and recordings run side by side; one connection would serialize them.
        dsn = postgres_dsn(database_url)
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4, reset=_keep_session)
        return cls(pool, dsn, worker)

    async def close(self) -> None:
        try:
            if self._listener is not None:
                await self._listener.close()
        finally:
            await self._pool.close()

    async def listen(self, wake: asyncio.Event) -> None:
        self._listener = await NotifyListener.open(self._dsn, wake)

    async def claim(self, request: ClaimRequest) -> list[Claimed]:
        room = request.room()
        # One transaction: if reading the targets fails, the leases are not taken either.
        async with self._pool.acquire() as conn, conn.transaction():
            if self._targets.any_ordered:
                await conn.execute(_HOLD, request.lease_until, request.now)
            rows = await conn.fetch(
                _CLAIM,
                request.now,
                request.limit * 2,
                request.per_hook,
                request.limit,
                request.full(),
                [hook for hook, _ in room],
                [n for _, n in room],
                request.lease_until,
                self.worker,
            )
            if rows:
                revision = await conn.fetchval(REVISION)
                if self._targets.stale(revision):
                    self._targets.load(revision, await conn.fetch(HOOKS))
        return self._targets.claimed(rows)

    async def next_due(self, skip: Sequence[str] = ()) -> float | None:
        return await self._pool.fetchval(_NEXT_DUE, list(skip))

    async def finish(
        self,
        finishes: Iterable[Finish],
        log_rows: Sequence[LogRow],
        policy: HealthPolicy | None = None,
    ) -> HealthReport:
        finishes = list(finishes)
        report = HealthReport()
        attempted = health.attempted_hooks(finishes) if policy is not None else []
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                _FINISH,
                [f.delivery_id for f in finishes],
                [f.status for f in finishes],
                [f.attempts for f in finishes],
                [f.next_attempt_at for f in finishes],
                [f.attempted_at for f in finishes],
                [f.status_code for f in finishes],
                [f.error for f in finishes],
                self.worker,
                attempted,
            )
            if log_rows:
                # COPY: a fraction of the server's and the driver's work per row of an INSERT.
                await conn.copy_records_to_table("logs", records=log_rows, columns=LogRow._fields)
            if policy is not None and attempted:
                if rows[0]["updated"] < len(finishes):  # a lease lost
                    finishes = await _applied(conn, finishes)
                failing = {r["hook_id"]: r["failing_since"] for r in rows if r["hook_id"]}
                report = await _keep_health(conn, finishes, failing, policy)
        return report

    async def reserve(
        self, hook_id: str, wanted: int, interval: float, now: float, reach: float
    ) -> Slots:
        async with self._pool.acquire() as conn, conn.transaction():
            next_free = await conn.fetchval(pacing.LOCK, hook_id, now)
            if next_free is None:  # the hook is gone, and its deliveries with it
                return Slots(now, wanted, interval)
            taken = slots(next_free, now, wanted, interval, reach)
            if taken.number:
                await conn.execute(pacing.MOVE, hook_id, taken.after)
        return taken

    async def pass_turns(self, turns: Sequence[tuple[str, str]], now: float) -> None:
        await self._pool.executemany(PASS_TURN, [(now, hook, subject) for hook, subject in turns])

    async def release(self, delivery_ids: Sequence[str], now: float) -> None:
        if delivery_ids:
            await self._pool.execute(_RELEASE, now, list(delivery_ids), self.worker)

    async def release_orphans(self, now: float) -> int:
        dead = dead_here(worker for (worker,) in await self._pool.fetch(LEASE_HOLDERS))
        if not dead:
            return 0
        result = await self._pool.execute(_RELEASE_ORPHANS, now, dead)
        return int(result.rpartition(" ")[2])

    async def prune(self, table: Prunable, before_ms: int, limit: int) -> int:
        result = await self._pool.execute(POSTGRES_PRUNE[table], cutoff(table, before_ms), limit)
        return int(result.rpartition(" ")[2])


async def _applied(conn: asyncpg.Connection, finishes: list[Finish]) -> list[Finish]:
    """Those of `finishes` recorded: a lease lost made its delivery another worker's."""
    rows = await conn.fetch(_APPLIED, [f.delivery_id for f in finishes])
    stored = {row["id"]: (row["status"], row["attempts"]) for row in rows}
    return [f for f in finishes if stored.get(f.delivery_id) == (f.status, f.attempts)]


async def _keep_health(
    conn: asyncpg.Connection,
    finishes: list[Finish],
    failing: dict[str, int],
    policy: HealthPolicy,
) -> HealthReport:
    """`failing`: the `hook_health` rows of the hooks attempted."""
    plan = health.plan(finishes, failing, policy.disable_after)
    changed = plan.changed.items()
    cleared = [(hook,) for hook, since in changed if since is None]
    if cleared:
        await conn.executemany(numbered(health.CLEAR), cleared)
    kept = [(since, hook) for hook, since in changed if since is not None]
    if kept:
        await conn.executemany(numbered(health.KEEP_FAILING), kept)
    disabled = [
        hook for hook in plan.disable if await conn.fetchval(numbered(health.DISABLE), hook)
    ]
    if disabled:
        await conn.execute(health.HOOKS_CHANGED)
    report = HealthReport({hook: plan.disable[hook][0] for hook in disabled})
    notices = plan.announce(disabled)
    if notices:
        events, deliveries = health.outbox_rows(notices, await conn.fetch(SUBSCRIBERS), policy.now)
        await conn.executemany(numbered(health.INSERT_EVENT), events)
        if deliveries:
            await conn.executemany(numbered(health.INSERT_DELIVERY), deliveries)
            await conn.execute(f"NOTIFY {WAKE_CHANNEL}")  # at commit, to every worker
        report.emitted = len(deliveries)
    return report


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """The pool's connections hold no session state (listening has its own connection), so
    the reset statement asyncpg sends at every release would be a round trip for nothing."""
