"""Management API access through roles: the Management API becomes a resource with its `all`
scope, and machine-to-machine applications get roles (`applications_roles`). At every start,
the applications set up from the environment, which alone had access so far, are given a role
holding `all` (hookline.auth.applications); every other application loses access until it is
given such a role.

Revision ID: 0007
Revises: 0006
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Logto's fixed ids and names for the Management API of its `default` tenant.
RESOURCE = {
    "id": "management-api",
    "name": "Logto Management API",
    "indicator": "https://default.logto.app/api",
}
SCOPE = {
    "id": "management-api-all",
    "name": "all",
    "description": "Default scope for Management API, allows all permissions.",
}


def upgrade() -> None:
    op.execute("ALTER TABLE applications RENAME COLUMN is_admin TO is_bootstrap")
    op.create_table(
        "applications_roles",
        sa.Column("tenant_id", sa.String(21), nullable=False, server_default="default"),
        sa.Column(
            "application_id",
            sa.String(21),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "role_id",
            sa.String(21),
            sa.ForeignKey("roles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("applications_roles_role_id", "applications_roles", ["role_id"])
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # insertion order, as migration 0006 gives the others
        op.execute(
            "ALTER TABLE applications_roles ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY"
        )

    # Bumped by every change of who holds what (hookline.auth.access.access_changed).
    conn.execute(sa.text("INSERT INTO revisions (name, value) VALUES ('access', 0)"))
    now = int(time.time() * 1000)
    # No resource can hold this indicator yet: creating one with it was refused.
    conn.execute(
        sa.text("INSERT INTO resources (id, name, indicator) VALUES (:id, :name, :indicator)"),
        RESOURCE,
    )
    conn.execute(
        sa.text(
            "INSERT INTO scopes (id, resource_id, name, description, created_at)"
            " VALUES (:id, :resource, :name, :description, :now)"
        ),
        {**SCOPE, "resource": RESOURCE["id"], "now": now},
    )


def downgrade() -> None:
    op.drop_table("applications_roles")
    op.execute("DELETE FROM revisions WHERE name = 'access'")
    op.execute("DELETE FROM resources WHERE id = 'management-api'")  # its scope goes with it
    op.execute("ALTER TABLE applications RENAME COLUMN is_bootstrap TO is_admin")
