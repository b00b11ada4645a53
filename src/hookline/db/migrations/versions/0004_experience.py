"""Sign-in flows: interactions, verification codes, sentinel activities, sign-in experience.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("interaction_event", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(21)),
        # verifications, profile, identified user: the interaction's whole state.
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("interaction_id", sa.String(21)),
        sa.Column("identifier_type", sa.String(16), nullable=False),
        sa.Column("identifier", sa.String(256), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("consumed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "verification_codes_recipient", "verification_codes", ["identifier", "created_at"]
    )
    op.create_table(
        "sentinel_activities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target_type", sa.String(16), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "sentinel_activities_target", "sentinel_activities", ["target_type", "target", "created_at"]
    )
    op.create_table(
        "sign_in_experiences",
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "sign_in_experiences",
        "sentinel_activities",
        "verification_codes",
        "interactions",
    ):
        op.drop_table(table)
