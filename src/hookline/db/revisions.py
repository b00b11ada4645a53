"""Revision counters (table `revisions`): a change bumps one in its own transaction, and the
caches of every process reload when it has moved."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable

import asyncpg
from sqlalchemy import Connection, Engine, select, update

from hookline.db.engine import connect_raw, postgres_dsn
from hookline.db.reader import Reader
from hookline.db.tables import revisions

log = logging.getLogger("hookline.db")

# How long a watch waits before it tries again to listen, after a failure.
RELISTEN_AFTER = 1.0


def channel(name: str) -> str:
    return f"hookline_revision_{name}"


def bump(conn: Connection, name: str) -> None:
    """Move the revision `name` in the caller's transaction; on PostgreSQL, also tell the
    processes listening (a NOTIFY is sent at commit, and dropped with a rollback)."""
    conn.execute(
        update(revisions).where(revisions.c.name == name).values(value=revisions.c.value + 1)
    )
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {channel(name)}")


class RevisionWatch:
    """Whether a revision has moved, known in a few µs, for caches checked at every request.

    On SQLite the revision is read from a plain connection of its own. On PostgreSQL, where a
    read is a round trip (about half a millisecond of CPU with a thread and a transaction),
    the watch listens for the NOTIFY of every bump and reads the database only while it is not
    listening (before it first listens, and after it lost its connection)."""

    def __init__(self, engine: Engine, read: Reader, name: str) -> None:
        self._name = name
        self._read = read
        self._query = select(revisions.c.value).where(revisions.c.name == name)
        postgres = engine.dialect.name == "postgresql"
        url = engine.url.render_as_string(hide_password=False)
        self._sqlite = None if postgres else connect_raw(url)
        self._dsn = postgres_dsn(url) if postgres else None
        self._listener: asyncpg.Connection | None = None
        self._listening: asyncio.Task[None] | None = None
        self._tried_at = -RELISTEN_AFTER
        # While listening: which connection (a new one after a loss) and how many bumps heard.
        self._epoch = 0
        self._heard = 0

    async def current(self) -> Hashable:
        """A value that changes whenever the revision moves (not the revision itself)."""
        if self._sqlite is not None:
            row = self._sqlite.execute(
                "SELECT value FROM revisions WHERE name = ?", (self._name,)
            ).fetchone()
            return row[0]
        if self._listener is not None:
            return (self._epoch, self._heard)
        self._listen_soon()
        return await self._read(lambda conn: conn.execute(self._query).scalar_one())

    def _listen_soon(self) -> None:
        now = time.monotonic()
        if self._listening is None and now - self._tried_at >= RELISTEN_AFTER:
            self._tried_at = now
            self._listening = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            listener = await asyncpg.connect(self._dsn)
            try:
                await listener.add_listener(channel(self._name), self._heard_one)
            except BaseException:
                listener.terminate()
                raise
            listener.add_termination_listener(self._lost)
            self._epoch += 1
            self._listener = listener  # from now on, every bump is heard
        except Exception as error:
            log.warning(
                "cannot listen for revisions yet: %s",
                error,
                extra={"action": "listen", "revision": self._name},
            )
        finally:
            self._listening = None

    def _heard_one(self, *_: object) -> None:
        self._heard += 1

    def _lost(self, conn: asyncpg.Connection) -> None:
        if conn is self._listener:  # not closed by us
            log.warning(
                "revision channel lost, reading instead",
                extra={"action": "listen", "revision": self._name},
            )
            self._listener = None

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._listening is not None:
            self._listening.cancel()
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()
