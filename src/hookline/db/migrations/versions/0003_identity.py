"""The identity backend: users, roles, API resources and scopes, organizations.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _tenant() -> sa.Column:
    return sa.Column("tenant_id", sa.String(21), nullable=False, server_default="default")


def _link(name: str, left: str, left_table: str, right: str, right_table: str) -> None:
    op.create_table(
        name,
        _tenant(),
        sa.Column(
            left,
            sa.String(21),
            sa.ForeignKey(f"{left_table}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            right,
            sa.String(21),
            sa.ForeignKey(f"{right_table}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index(f"{name}_{right}", name, [right])


def upgrade() -> None:
    op.create_table(
        "users",
        _tenant(),
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("username", sa.String(128), unique=True),
        sa.Column("primary_email", sa.String(128), unique=True),
        sa.Column("primary_phone", sa.String(128), unique=True),
        sa.Column("name", sa.String(128)),
        sa.Column("avatar", sa.String(2048)),
        sa.Column("custom_data", sa.JSON, nullable=False),
        sa.Column("identities", sa.JSON, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("application_id", sa.String(21)),
        sa.Column("password_hash", sa.Text),
        sa.Column("is_suspended", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_sign_in_at", sa.BigInteger),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "resources",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("indicator", sa.String(2048), nullable=False, unique=True),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("access_token_ttl", sa.BigInteger, nullable=False, server_default="3600"),
    )
    op.create_table(
        "scopes",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column(
            "resource_id",
            sa.String(21),
            sa.ForeignKey("resources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("resource_id", "name"),
    )
    op.create_table(
        "roles",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("type", sa.String(32), nullable=False, server_default="User"),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    _link("roles_scopes", "role_id", "roles", "scope_id", "scopes")
    _link("users_roles", "user_id", "users", "role_id", "roles")
    op.create_table(
        "organizations",
        _tenant(),
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("custom_data", sa.JSON, nullable=False),
        sa.Column("is_mfa_required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("color", sa.JSON, nullable=False),
        sa.Column("branding", sa.JSON, nullable=False),
        sa.Column("custom_css", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "organization_roles",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("type", sa.String(32), nullable=False, server_default="User"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "organization_scopes",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    _link(
        "organization_role_scopes",
        "organization_role_id",
        "organization_roles",
        "organization_scope_id",
        "organization_scopes",
    )
    _link(
        "organization_role_resource_scopes",
        "organization_role_id",
        "organization_roles",
        "scope_id",
        "scopes",
    )
    _link("organization_users", "organization_id", "organizations", "user_id", "users")
    _link(
        "organization_applications",
        "organization_id",
        "organizations",
        "application_id",
        "applications",
    )
    op.create_table(
        "organization_user_roles",
        _tenant(),
        sa.Column("organization_id", sa.String(21), primary_key=True),
        sa.Column("user_id", sa.String(21), primary_key=True),
        sa.Column(
            "organization_role_id",
            sa.String(21),
            sa.ForeignKey("organization_roles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id", "user_id"],
            ["organization_users.organization_id", "organization_users.user_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "organization_invitations",
        _tenant(),
        sa.Column("id", sa.String(21), primary_key=True),
        sa.Column("inviter_id", sa.String(21)),
        sa.Column("invitee", sa.String(256), nullable=False),
        sa.Column("accepted_user_id", sa.String(21)),
        sa.Column(
            "organization_id",
            sa.String(21),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("organization_role_ids", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("custom_data", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column(
                "oidc_client_metadata",
                sa.JSON,
                nullable=False,
                server_default='{"redirectUris":[],"postLogoutRedirectUris":[]}',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("oidc_client_metadata")
        batch.drop_column("custom_data")
    for table in (
        "organization_invitations",
        "organization_user_roles",
        "organization_applications",
        "organization_users",
        "organization_role_resource_scopes",
        "organization_role_scopes",
        "organization_scopes",
        "organization_roles",
        "organizations",
        "users_roles",
        "roles_scopes",
        "roles",
        "scopes",
        "resources",
        "users",
    ):
        op.drop_table(table)
