"""On PostgreSQL, an identity column `seq` where lists sort by insertion order (SQLite has
`rowid` for it): see hookline.db.sql.insertion_order.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("resources", "scopes", "roles", "roles_scopes", "users_roles", "applications")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN seq")
