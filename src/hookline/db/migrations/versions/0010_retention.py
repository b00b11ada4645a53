"""Retention deletes old events and attempt logs by their creation time.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("events_created", "events", ["created_at"])
    op.create_index("logs_created", "logs", ["created_at"])


def downgrade() -> None:
    op.drop_index("logs_created", "logs")
    op.drop_index("events_created", "events")
