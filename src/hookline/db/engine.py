"""Engines and transactions. SQLite runs in WAL mode, its writers taking the lock up front;
PostgreSQL goes through psycopg here and asyncpg on the dispatcher's hot path."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# Connections each process keeps open; reads on PostgreSQL run in as many threads.
POOL_SIZE = 4

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL in WAL mode survives a process crash; only an OS crash may drop the last commits.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def postgres_dsn(url: str) -> str:
    """The libpq form of a PostgreSQL URL (no SQLAlchemy driver name), as asyncpg takes it."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}"


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


class DatabaseBusy(Exception):
    """Another process has held a lock for longer than a request may wait for it."""


class CommitInDoubt(Exception):
    """The connection failed during COMMIT: the server may have kept the change or not."""


def make_engine(url: str, lock_wait: float | None = None) -> Engine:
    """`lock_wait`: on PostgreSQL, how long a statement waits for a lock held elsewhere
    before it fails (SQLite's write lock is awaited by hookline itself, see GroupCommitter).

    Statements' parameters stay out of error messages: they hold password hashes, signing
    keys and custom data, and error messages reach the logs."""
    if is_postgres(url):
        engine = create_engine(
            postgres_dsn(url).replace("postgresql://", "postgresql+psycopg://", 1),
            pool_size=POOL_SIZE,
            max_overflow=8,
            pool_pre_ping=True,  # a restarted server leaves dead connections in the pool
            hide_parameters=True,
        )
        if lock_wait:
            # A SET, not libpq's `options`: connection poolers such as PgBouncer refuse those.
            timeout = f"SET lock_timeout = {max(1, round(lock_wait * 1000))}"

            @event.listens_for(engine, "connect")
            def _lock_timeout(dbapi_conn: Any, _record: object) -> None:
                dbapi_conn.execute(timeout)
                dbapi_conn.commit()

        return engine
    if not is_sqlite(url):
        raise ValueError("HOOKLINE_DATABASE_URL: not a sqlite:// or postgresql:// URL")
    _create_private(url)
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=8, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Transactions are ours to open (see _begin), not the driver's.
        dbapi_conn.isolation_level = None
        for pragma in SQLITE_PRAGMAS:
            dbapi_conn.execute(pragma)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on upgrade.
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _create_private(url: str) -> None:
    """Creates the database file readable by its owner alone: it holds the token-signing key,
    hook signing keys and one-time codes. SQLite gives the -wal and -shm files the mode of
    the database file. A file that exists keeps the mode its operator gave it."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def connect_raw(url: str, wait_for_lock: bool = True) -> sqlite3.Connection:
    """A plain sqlite3 connection for the hot queue paths (2–5× cheaper than the ORM layer).

    Without `wait_for_lock`, a write that finds the database locked fails at once
    (`is_locked`), so that an asyncio caller can wait for it without blocking its loop.
    """
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None, check_same_thread=False)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    if not wait_for_lock:
        conn.execute("PRAGMA busy_timeout=0")
    return conn


# SQLite's primary result codes for a database that is locked, full, or cannot be read or
# written; its others (a syntax error, a missing table) are faults of the code, not the disk.
_SQLITE_UNAVAILABLE = frozenset(
    getattr(sqlite3, name)
    for name in (
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
        "SQLITE_NOMEM",
        "SQLITE_READONLY",
        "SQLITE_IOERR",
        "SQLITE_FULL",
        "SQLITE_CANTOPEN",
        "SQLITE_PROTOCOL",
    )
)
# PostgreSQL's SQLSTATE classes and codes for the same: connection exceptions, insufficient
# resources, operator intervention (a shutdown), lock_not_available.
_POSTGRES_UNAVAILABLE = ("08", "53", "57P", "55P03")


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error says the database is away, full or locked (worth trying
    again later), rather than that a statement is wrong."""
    if isinstance(error, DatabaseBusy):
        return True
    cause = getattr(error, "orig", None) or error
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_UNAVAILABLE  # the primary code of an extended one
    if isinstance(cause, sqlite3.Error):
        return False
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg reports a connection lost mid-statement without a SQLSTATE.
    return sqlstate is None or sqlstate.startswith(_POSTGRES_UNAVAILABLE)


def is_locked(error: BaseException | None) -> bool:
    """Whether SQLite refused a statement because another connection holds the database."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    with engine.connect().execution_options(readonly=True) as conn, conn.begin():
        yield conn


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        yield conn
