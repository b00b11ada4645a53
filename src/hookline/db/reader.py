"""Reads for request handlers, kept off the event loop where they would stall it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine

from hookline.db.engine import POOL_SIZE, read

T = TypeVar("T")


class Reader:
    """`await reader(lambda conn: ...)` runs a read in a transaction of its own.

    SQLite answers from a local file in microseconds, and a reader never waits for a writer
    there (WAL), so the read runs on the loop. On PostgreSQL every statement is a round trip,
    and a table lock held elsewhere (a migration, say) can make it wait: the read runs in a
    thread, one per pooled connection, while the loop goes on serving the other requests.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._threads = (
            ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="hookline-read")
            if engine.dialect.name == "postgresql"
            else None
        )

    async def __call__(self, work: Callable[[Connection], T]) -> T:
        if self._threads is None:
            return self._run(work)
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._run, work)

    def _run(self, work: Callable[[Connection], T]) -> T:
        with read(self._engine) as conn:
            return work(conn)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
