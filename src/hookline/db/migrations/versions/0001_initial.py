"""Applications, system keys, hooks, the outbox (events, deliveries) and logs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("tenant_id", sa.String(21), nullable=False, server_default="default"),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.Text),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "system_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "hooks",
        sa.Column("tenant_id", sa.String(21), nullable=False, server_default="default"),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False, server_default=""),
        sa.Column("event", sa.String(128)),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("signing_key", sa.String(64), nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("hooks_created_at", "hooks", ["created_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("idempotency_key", sa.String(256), unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("event_id", sa.String(40), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("hook_id", sa.String(21), nullable=False),
        sa.Column("status", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("worker", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        sqlite_where=sa.text("status < 2"),
        postgresql_where=sa.text("status < 2"),
    )
    op.create_index("deliveries_event", "deliveries", ["event_id"])
    op.create_table(
        "logs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("hook_id", sa.String(21), nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response_body", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("logs_hook_created", "logs", ["hook_id", "created_at"])


def downgrade() -> None:
    for table in ("logs", "deliveries", "events", "hooks", "system_keys", "applications"):
        op.drop_table(table)
