"""A rotated hook's previous signing key, which goes on signing beside the new one until its
expiry (Unix ms), so that receivers can change keys without dropping deliveries. Both null
when there is none.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hooks") as table:
        table.add_column(sa.Column("previous_signing_key", sa.String(64)))
        table.add_column(sa.Column("previous_key_expires_at", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("hooks") as table:
        table.drop_column("previous_key_expires_at")
        table.drop_column("previous_signing_key")
