"""Apply the Alembic migrations; called at every start, safe to run from many processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_STARTUP_LOCK = 0x686F6F6B  # any constant of ours: "hook"


def one_process_at_a_time(conn: Connection) -> None:
    """For the start-up transactions (migrations, first keys): processes starting together
    run them one after the other. SQLite's write lock does it already; PostgreSQL, which
    locks rows, needs an advisory lock, released at commit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_STARTUP_LOCK})")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    # One write transaction: a second process starting at the same time waits, then finds head.
    with engine.begin() as conn:
        one_process_at_a_time(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
