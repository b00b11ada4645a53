"""Each failing hook's health: since when none of its attempts has succeeded, so that a hook
failing for HOOKLINE_DISABLE_AFTER is disabled. A row per failing hook only; a success
deletes it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hook_health",
        sa.Column(
            "hook_id",
            sa.String(21),
            sa.ForeignKey("hooks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("failing_since", sa.BigInteger, nullable=False),  # Unix milliseconds
    )


def downgrade() -> None:
    op.drop_table("hook_health")
