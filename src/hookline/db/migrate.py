"""Apply the Alembic migrations; called at every start, safe to run from many processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    # One write transaction: a second process starting at the same time waits, then finds head.
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
