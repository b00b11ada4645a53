"""The schema, as SQLAlchemy Core tables. Alembic migrations in `migrations/` build it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

applications = Table(
    "applications",
    metadata,
    Column("tenant_id", String(21), nullable=False, server_default="default"),
    Column("id", String(21), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("description", Text),
    Column("type", String(32), nullable=False),
    Column("secret_hash", Text),
    Column("is_admin", Boolean, nullable=False, server_default=text("0")),
    Column("created_at", BigInteger, nullable=False),
)

# One row per named secret the service keeps for itself (the token signing key).
system_keys = Table(
    "system_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

hooks = Table(
    "hooks",
    metadata,
    Column("tenant_id", String(21), nullable=False, server_default="default"),
    Column("id", String(21), primary_key=True),
    Column("name", String(256), nullable=False, server_default=""),
    Column("event", String(128)),
    Column("events", JSON, nullable=False),
    Column("config", JSON, nullable=False),
    Column("signing_key", String(64), nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default=text("1")),
    Column("created_at", BigInteger, nullable=False),
    Index("hooks_created_at", "created_at"),
)

# The outbox: one row per event, holding the JSON body every hook receives (hookId aside).
events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("idempotency_key", String(256), unique=True),
    Column("created_at", BigInteger, nullable=False),
)

# One row per event × hook. status: 0 pending, 1 leased, 2 delivered, 3 failed, 4 cancelled.
# A leased row's next_attempt_at is its lease expiry, so an expired lease is simply due again.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_id", String(40), ForeignKey("events.id"), nullable=False),
    Column("hook_id", String(21), nullable=False),
    Column("status", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", Float, nullable=False),
    Column("worker", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Index(
        "deliveries_due",
        "next_attempt_at",
        sqlite_where=text("status < 2"),
        postgresql_where=text("status < 2"),
    ),
    Index("deliveries_event", "event_id"),
)

# Counters bumped with every change of what they name, for caches in every process.
revisions = Table(
    "revisions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# One row per HTTP attempt, readable as Logto's `TriggerHook.<event>` log entry.
logs = Table(
    "logs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key", String(160), nullable=False),
    Column("hook_id", String(21), nullable=False),
    Column("delivery_id", String(40), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("result", String(16), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("error", Text),
    Column("duration_ms", Float, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("logs_hook_created", "hook_id", "created_at"),
)
