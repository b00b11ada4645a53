"""What a synchronous hook's call decided (`allow`, `deny`, with the reason when the receiver
did not decide: `deny: TimeoutError`), on the log row of the call's last attempt; null for
every other row.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("logs") as table:
        table.add_column(sa.Column("decision", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("logs") as table:
        table.drop_column("decision")
