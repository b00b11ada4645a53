"""Apply the Alembic migrations; called at every start, safe to run from many processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x686F6F6B  # any constant of ours: "hook"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    # One write transaction: a second process starting at the same time waits, then finds head.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # PostgreSQL has no database-wide write lock to queue the second process behind.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
