"""Engines and transactions. SQLite runs in WAL mode, its writers taking the lock up front;
PostgreSQL goes through psycopg here and asyncpg on the dispatcher's hot path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

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


def make_engine(url: str, lock_wait: float | None = None) -> Engine:
    """`lock_wait`: on PostgreSQL, how long a statement waits for a lock held elsewhere
    before it fails (SQLite's write lock is awaited by hookline itself, see GroupCommitter)."""
    if is_postgres(url):
        options = {"options": f"-c lock_timeout={round(lock_wait * 1000)}"} if lock_wait else {}
        return create_engine(
            postgres_dsn(url).replace("postgresql://", "postgresql+psycopg://", 1),
            pool_size=4,
            max_overflow=8,
            pool_pre_ping=True,  # a restarted server leaves dead connections in the pool
            connect_args=options,
        )
    if not is_sqlite(url):
        raise ValueError(f"HOOKLINE_DATABASE_URL: not a sqlite:// or postgresql:// URL: {url}")
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_size=4, max_overflow=8)

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
