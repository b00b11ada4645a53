"""Emails are unique regardless of case: index the lowercased email that lookups compare.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX users_primary_email_lower ON users (lower(primary_email))")


def downgrade() -> None:
    op.execute("DROP INDEX users_primary_email_lower")
