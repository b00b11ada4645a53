"""A hook's Ed25519 key pair, made when `config.asymmetricSignature` is first turned on, in
Standard Webhooks' forms (`whsk_` + base64 of the 32-byte seed, `whpk_` + base64 of the
32-byte public key); and the pair a rotation replaced, which signs beside the new one until
`previous_key_expires_at` (migration 0014). All null for a hook that never had a pair.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    "ed25519_private_key",
    "ed25519_public_key",
    "previous_ed25519_private_key",
    "previous_ed25519_public_key",
)


def upgrade() -> None:
    with op.batch_alter_table("hooks") as table:
        for name in COLUMNS:
            table.add_column(sa.Column(name, sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("hooks") as table:
        for name in reversed(COLUMNS):
            table.drop_column(name)
