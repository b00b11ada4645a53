"""Group commit: concurrent writers of one process share one transaction and one commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, exc

from hookline.db.engine import CommitInDoubt, DatabaseBusy, is_locked
from hookline.db.unit import OnCommit, TransactionState

T = TypeVar("T")
_IDLE_BEFORE_PING = 1.0  # seconds
_COLLISION_RETRIES = 3
Work = Callable[[Connection], Any]
Outcome = tuple[bool, Any]  # (succeeded, result or exception)


class GroupCommitter:
    """Runs the units of work queued while the last batch ran in a single transaction.

    Each caller is answered only after that transaction commits. If a unit fails, the batch
    runs again with each unit in a savepoint, so that the failing one fails alone. A unit must
    not await: it runs between BEGIN and COMMIT, and may run twice. After a commit of a batch
    that asked for it (`TransactionState.on_commit_due`), `on_commit` runs, on the event loop.

    On SQLite the batch runs on the event loop (a few microseconds a statement) and the write
    lock is waited for there, never inside SQLite, so a lock held by another process does not
    stop the requests in flight. On PostgreSQL every statement is a round trip, so the batch
    runs in a thread of its own while the loop goes on reading requests for the next one.
    """

    def __init__(
        self, engine: Engine, on_commit: OnCommit | None = None, lock_wait: float = 10.0
    ) -> None:
        self._engine = engine
        self._lock_wait = lock_wait
        self._on_commit = on_commit
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._used_at = 0.0
        self._thread = (
            None
            if engine.dialect.name == "sqlite"
            else ThreadPoolExecutor(1, thread_name_prefix="hookline-commit")
        )

    async def run(self, work: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[tuple[Work, asyncio.Future[Any]]] = []
        try:
            await asyncio.sleep(0)  # let the requests of this loop turn join the batch
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    if self._thread is None:
                        conn = await self._begin_sqlite()
                        batch, self._pending = batch + self._pending, []  # came meanwhile
                        outcomes, due = self._transact(conn, [work for work, _ in batch])
                    else:
                        works = [work for work, _ in batch]
                        outcomes, due = await loop.run_in_executor(
                            self._thread, self._begin_and_transact, works
                        )
                except Exception as error:  # no transaction at all: the database is away
                    if isinstance(error, DatabaseBusy):
                        # Those that queued meanwhile have waited as long: they fail too.
                        batch, self._pending = batch + self._pending, []
                    outcomes, due = [(False, error)] * len(batch), False
                if due and self._on_commit is not None:
                    self._on_commit()
                self._answer(batch, outcomes)
                batch = []
        finally:
            self._flusher = None
            # Cancelled (the server stopping): nobody waits for an answer that never comes.
            for _, future in batch + self._pending:
                if not future.done():
                    future.cancel()

    async def _begin_sqlite(self) -> Connection:
        pause = 0.0002
        deadline = time.monotonic() + self._lock_wait
        while True:
            conn = self._connection()
            try:
                conn.begin()
                return conn
            except exc.OperationalError as error:
                if not is_locked(error.orig):
                    raise
            if time.monotonic() > deadline:
                # Writers elsewhere hold the database for milliseconds; one that holds it
                # this long is stuck, and the callers get an answer rather than a hang.
                raise DatabaseBusy(f"the database stayed locked for {self._lock_wait:g} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _begin_and_transact(self, works: list[Work]) -> tuple[list[Outcome], bool]:
        conn = self._connection()
        if time.monotonic() - self._used_at > _IDLE_BEFORE_PING:
            # The server may have restarted while nothing was written: find out before the
            # batch rather than fail it. Back-to-back batches skip the round trip.
            try:
                driver = conn.connection.dbapi_connection
                assert driver is not None  # an open connection has one
                conn.dialect.do_ping(driver)
            except Exception:
                conn.invalidate()
                conn = self._connection()
        try:
            for _ in range(_COLLISION_RETRIES):
                conn.begin()
                try:
                    return self._transact(conn, works)
                except _Collided:
                    # Another process's transaction and this batch each waited for the other
                    # (deadlock) and this one was picked to give way: nothing of it was kept,
                    # so it runs again, from the start.
                    conn = self._connection()
            conn.begin()
            return self._transact(conn, works, may_collide=False)
        finally:
            self._used_at = time.monotonic()

    def _transact(
        self, conn: Connection, works: list[Work], may_collide: bool = True
    ) -> tuple[list[Outcome], bool]:
        """Run `works` in the transaction begun on `conn` and commit it; also tell whether
        it asked for the on-commit callback. Raises `_Collided` (rolled back) if it lost a
        deadlock."""
        state = TransactionState.of(conn)
        try:
            if len(works) == 1:
                outcomes: list[Outcome] = [(True, works[0](conn))]
            else:
                outcomes = self._all_or_each(conn, works)
            if may_collide and any(not ok and _collided(value) for ok, value in outcomes):
                raise _Collided
            try:
                conn.commit()
            except Exception as error:
                if conn.dialect.name == "sqlite":  # a local file: not committed
                    raise
                raise CommitInDoubt(
                    "the connection to the database failed while committing: the change may"
                    " or may not have been kept"
                ) from error
        except BaseException as error:
            # Even on an interrupt: a transaction left open would hold SQLite's lock for good.
            conn.rollback()
            if may_collide and _collided(error):
                raise _Collided from error
            if not isinstance(error, Exception) or isinstance(error, _Collided):
                raise
            return [(False, error)] * len(works), False
        return outcomes, state.on_commit_due

    @staticmethod
    def _all_or_each(conn: Connection, works: list[Work]) -> list[Outcome]:
        batch = conn.begin_nested()
        outcomes: list[Outcome] = []
        try:
            for work in works:
                outcomes.append((True, work(conn)))
            batch.commit()
            return outcomes
        except Exception as error:
            batch.rollback()
            state = TransactionState.of(conn)
            state.savepoint_rolled_back()
            state.on_commit_due = False  # this savepoint held all the transaction had done
            culprit, failure = len(outcomes), error
        # The others again, each in a savepoint; not the one that failed, whose second run
        # would fail the same way (after another lock wait, say).
        return [
            (False, failure) if index == culprit else _in_savepoint(conn, work)
            for index, work in enumerate(works)
        ]

    @staticmethod
    def _answer(batch: list[tuple[Work, asyncio.Future[Any]]], outcomes: list[Outcome]) -> None:
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away; its change stands
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _connection(self) -> Connection:
        # One connection for the process's life: no pool round trip per batch. On SQLite its
        # busy timeout is zero, so that a locked database is reported at once.
        if self._conn is None or self._conn.invalidated:
            self._conn = self._engine.connect()
            if self._conn.dialect.name == "sqlite":
                driver = self._conn.connection.dbapi_connection
                driver.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
        return self._conn


class _Collided(Exception):
    """The batch lost a deadlock to another process's transaction and was rolled back."""


def _collided(error: BaseException) -> bool:
    # PostgreSQL's deadlock_detected and serialization_failure: the transaction may succeed
    # if run again. SQLite has one writer at a time, so never.
    return getattr(getattr(error, "orig", error), "sqlstate", None) in ("40P01", "40001")


def _in_savepoint(conn: Connection, work: Work) -> Outcome:
    savepoint = conn.begin_nested()
    try:
        result = work(conn)
    except Exception as error:
        savepoint.rollback()
        TransactionState.of(conn).savepoint_rolled_back()
        return False, error
    savepoint.commit()
    return True, result
