"""Rate-limited hooks (`config.rateLimit`): each one's next free send time, shared by every
dispatcher so that together they send no faster than the limit. A row per hook that has been
paced; deleted with its hook.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hook_pacing",
        sa.Column(
            "hook_id",
            sa.String(21),
            sa.ForeignKey("hooks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("next_slot_at", sa.Float, nullable=False),  # Unix seconds
    )


def downgrade() -> None:
    op.drop_table("hook_pacing")
