"""Group commit: concurrent writers of one process share one transaction and one commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, exc

from hookline.db.engine import is_locked
from hookline.outbox.emit import took_emitted
from hookline.outbox.wakeup import Waker

T = TypeVar("T")
Work = Callable[[Connection], Any]


class GroupCommitter:
    """Runs the units of work queued while the last batch ran in a single transaction.

    Each caller is answered only after that transaction commits. Units of a batch run each in
    a savepoint, so one that fails is rolled back and fails alone. The write lock is waited for
    on the event loop, never inside SQLite, so a lock held by another process does not stop
    the requests in flight. A unit must not await: it runs between BEGIN and COMMIT.
    """

    def __init__(self, engine: Engine, waker: Waker | None) -> None:
        self._engine = engine
        self._waker = waker
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._conn: Connection | None = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # let the requests of this loop turn join the batch
            while self._pending:
                conn = await self._begin()
                batch, self._pending = self._pending, []
                self._commit(conn, batch)
        finally:
            self._flusher = None

    async def _begin(self) -> Connection:
        pause = 0.0002
        while True:
            conn = self._connection()
            try:
                conn.begin()
                return conn
            except exc.OperationalError as error:
                if not is_locked(error.orig):
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _commit(self, conn: Connection, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            if len(batch) == 1:
                outcomes.append((True, batch[0][0](conn)))
            else:
                for work, _ in batch:
                    outcomes.append(self._in_savepoint(conn, work))
            conn.commit()
        except BaseException as error:
            conn.rollback()
            took_emitted(conn)
            outcomes = [(False, error)] * len(batch)
        if took_emitted(conn) and self._waker is not None:
            self._waker.notify()
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away; its change stands
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    @staticmethod
    def _in_savepoint(conn: Connection, work: Work) -> tuple[bool, Any]:
        savepoint = conn.begin_nested()
        try:
            result = work(conn)
        except Exception as error:
            savepoint.rollback()
            return False, error
        savepoint.commit()
        return True, result

    def _connection(self) -> Connection:
        # One connection for the process's life: no pool round trip per batch, and its own
        # busy timeout of zero so that a locked database is reported at once.
        if self._conn is None or self._conn.invalidated:
            self._conn = self._engine.connect()
            if self._conn.dialect.name == "sqlite":
                driver = self._conn.connection.dbapi_connection
                driver.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
        return self._conn
