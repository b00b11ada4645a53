"""The `_interaction` cookie carries a random secret, and the interaction row only its SHA-256
(`secret_hash`, unique): the interaction's id is public, sent as `sessionId` in webhook
payloads, and is no longer accepted as the cookie.

Interactions open at the upgrade (and their verification codes) are deleted, as they have no
secret: a sign-in in progress starts again with `PUT /api/experience`.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM verification_codes WHERE interaction_id IS NOT NULL")
    op.execute("DELETE FROM interactions")
    with op.batch_alter_table("interactions") as table:
        table.add_column(sa.Column("secret_hash", sa.String(64), nullable=False))
        table.create_index("interactions_secret_hash", ["secret_hash"], unique=True)


def downgrade() -> None:
    # The cookies then hold secrets the older code does not know: those interactions end.
    op.execute("DELETE FROM verification_codes WHERE interaction_id IS NOT NULL")
    op.execute("DELETE FROM interactions")
    with op.batch_alter_table("interactions") as table:
        table.drop_index("interactions_secret_hash")
        table.drop_column("secret_hash")
