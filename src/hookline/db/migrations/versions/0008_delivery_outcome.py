"""Each delivery's outcome on its own row, for `GET /api/deliveries`: when it was first and
last tried, and the last status code or error. Lists of deliveries go by hook and time.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("first_attempt_at", sa.BigInteger))  # Unix milliseconds
        table.add_column(sa.Column("last_attempt_at", sa.BigInteger))  # Unix milliseconds
        table.add_column(sa.Column("last_status", sa.Integer))
        table.add_column(sa.Column("last_error", sa.Text))
    op.create_index("deliveries_hook_created", "deliveries", ["hook_id", "created_at"])
    op.create_index("deliveries_created", "deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_index("deliveries_created", "deliveries")
    op.drop_index("deliveries_hook_created", "deliveries")
    with op.batch_alter_table("deliveries") as table:
        for column in ("last_error", "last_status", "last_attempt_at", "first_attempt_at"):
            table.drop_column(column)
