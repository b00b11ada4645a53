"""Events in order per subject: each event names what it is about (`user:<id>`, ...) and its
number among the events about it, counted in `subjects`. A hook that delivers in order per
subject has those copied onto its deliveries, for the claim to find a subject's oldest one.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("subject", sa.String(256), primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("subject", sa.String(256)))
        table.add_column(sa.Column("sequence", sa.BigInteger))
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("ordered_subject", sa.String(256)))
        table.add_column(sa.Column("ordered_sequence", sa.BigInteger))
    op.create_index(
        "deliveries_ordered",
        "deliveries",
        ["hook_id", "ordered_subject", "ordered_sequence"],
        sqlite_where=sa.text("status < 2 AND ordered_subject IS NOT NULL"),
        postgresql_where=sa.text("status < 2 AND ordered_subject IS NOT NULL"),
    )
    op.create_index(
        "deliveries_held",
        "deliveries",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 0 AND ordered_subject IS NOT NULL"),
        postgresql_where=sa.text("status = 0 AND ordered_subject IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("deliveries_held", "deliveries")
    op.drop_index("deliveries_ordered", "deliveries")
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("ordered_sequence")
        table.drop_column("ordered_subject")
    with op.batch_alter_table("events") as table:
        table.drop_column("sequence")
        table.drop_column("subject")
    op.drop_table("subjects")
