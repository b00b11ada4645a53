"""Group commit: concurrent writers share one transaction and one fsync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from hookline.outbox.emit import unit_of_work
from hookline.outbox.wakeup import Waker

T = TypeVar("T")
Work = Callable[[Connection], Any]


class GroupCommitter:
    """Runs every unit of work queued during one event-loop turn in a single transaction.

    Each caller is answered only after that transaction commits. If one unit fails, the
    batch is rolled back and each unit is run alone, so one bad request fails by itself.
    """

    def __init__(self, engine: Engine, waker: Waker | None) -> None:
        self._engine = engine
        self._waker = waker
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []

    async def run(self, work: Callable[[Connection], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append((work, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            with unit_of_work(self._engine, self._waker) as conn:
                results = [work(conn) for work, _ in batch]
        except Exception:
            for work, future in batch:
                self._run_alone(work, future)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    def _run_alone(self, work: Work, future: asyncio.Future[Any]) -> None:
        try:
            with unit_of_work(self._engine, self._waker) as conn:
                result = work(conn)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)
