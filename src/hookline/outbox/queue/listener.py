"""The PostgreSQL wake-up: LISTEN on a connection of its own, kept open by a task of its own.

The task pings the connection, so that one the network cut without a word is noticed too,
and connects again whenever it is lost (a server restart); the dispatcher polls meanwhile,
and is woken once listening again, to claim what was committed while nobody listened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from asyncpg import Connection

from hookline.outbox.queue.values import WAKE_CHANNEL

log = logging.getLogger("hookline.dispatcher")

_PING_EVERY = 10.0  # seconds
_PING_TIMEOUT = 5.0  # seconds
_RETRY_AFTER = 1.0  # seconds between tries to connect while the server is away
# A LISTEN again, a no-op to the server: the session goes on showing as listening in
# pg_stat_activity, where operators (and the tests) look for ready workers.
_PING = f'LISTEN "{WAKE_CHANNEL}"'


class NotifyListener:
    def __init__(
        self, dsn: str, wake: asyncio.Event, conn: Connection, lost: asyncio.Event
    ) -> None:
        self._dsn = dsn
        self._wake = wake
        self._conn, self._lost = conn, lost
        self._task = asyncio.create_task(self._keep())

    @classmethod
    async def open(cls, dsn: str, wake: asyncio.Event) -> NotifyListener:
        """Listening when it returns; fails if the server cannot be reached."""
        return cls(dsn, wake, *await _listening(dsn, wake))

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        try:
            await self._conn.close(timeout=_PING_TIMEOUT)
        except Exception:  # a connection cut without a word: drop it
            self._conn.terminate()

    async def _keep(self) -> None:
        while True:
            await self._until_lost()
            log.warning("wake-up channel lost, polling", extra={"action": "listen"})
            self._conn.terminate()
            while self._conn.is_closed():
                try:
                    self._conn, self._lost = await _listening(self._dsn, self._wake)
                except Exception as error:  # the server is still away
                    log.warning("cannot listen yet: %s", error, extra={"action": "listen"})
                    await asyncio.sleep(_RETRY_AFTER)
            self._wake.set()

    async def _until_lost(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), _PING_EVERY)
            if self._lost.is_set():
                return
            try:
                await self._conn.execute(_PING, timeout=_PING_TIMEOUT)
            except Exception:
                return


async def _listening(dsn: str, wake: asyncio.Event) -> tuple[Connection, asyncio.Event]:
    """A connection listening on the wake-up channel, and the event set when it is lost."""
    lost = asyncio.Event()
    conn = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(WAKE_CHANNEL, lambda *_: wake.set())
    except BaseException:
        conn.terminate()
        raise
    return conn, lost
