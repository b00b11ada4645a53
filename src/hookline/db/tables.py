"""The schema, as SQLAlchemy Core tables. Alembic migrations in `migrations/` build it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

metadata = MetaData()

applications = Table(
    "applications",
    metadata,
    Column("tenant_id", String(21), nullable=False, server_default="default"),
    Column("id", String(21), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("description", Text),
    Column("type", String(32), nullable=False),
    Column("secret_hash", Text),
    # Set up from the environment (HOOKLINE_ADMIN_CLIENT_*): hidden from the Management API.
    Column("is_bootstrap", Boolean, nullable=False, server_default=false()),
    Column("created_at", BigInteger, nullable=False),
    Column("custom_data", JSON, nullable=False, server_default="{}"),
    Column(
        "oidc_client_metadata",
        JSON,
        nullable=False,
        server_default='{"redirectUris":[],"postLogoutRedirectUris":[]}',
    ),
)

# One row per named secret the service keeps for itself (the token signing key).
system_keys = Table(
    "system_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

hooks = Table(
    "hooks",
    metadata,
    Column("tenant_id", String(21), nullable=False, server_default="default"),
    Column("id", String(21), primary_key=True),
    Column("name", String(256), nullable=False, server_default=""),
    Column("event", String(128)),
    Column("events", JSON, nullable=False),
    Column("config", JSON, nullable=False),
    Column("signing_key", String(64), nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("created_at", BigInteger, nullable=False),
    # The key a rotation replaced, still signing until its expiry (Unix ms; migration 0014).
    Column("previous_signing_key", String(64)),
    Column("previous_key_expires_at", BigInteger),
    # Its Ed25519 pair (whsk_/whpk_), and the pair a rotation replaced, signing until the same
    # expiry (migration 0015). The private keys never leave the server.
    Column("ed25519_private_key", String(64)),
    Column("ed25519_public_key", String(64)),
    Column("previous_ed25519_private_key", String(64)),
    Column("previous_ed25519_public_key", String(64)),
    Index("hooks_created_at", "created_at"),
)

# The outbox: one row per event, holding the JSON body every hook receives (hookId aside).
events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("idempotency_key", String(256), unique=True),
    Column("created_at", BigInteger, nullable=False),
    # What the event is about (`user:<id>`, ...; events.subjects) and its number among the
    # events about it, from 1 (migration 0011); both null for an event about no subject.
    Column("subject", String(256)),
    Column("sequence", BigInteger),
)

# The last number given to an event about each subject.
subjects = Table(
    "subjects",
    metadata,
    Column("subject", String(256), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
)

# One row per event × hook. status: outbox.queue.DeliveryState (0 pending, 1 leased,
# 2 delivered, 3 failed, 4 cancelled). A leased row's next_attempt_at is its lease expiry, so
# an expired lease is simply due again.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_id", String(40), ForeignKey("events.id"), nullable=False),
    Column("hook_id", String(21), nullable=False),
    Column("status", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", Float, nullable=False),  # Unix seconds
    Column("worker", String(64)),
    Column("created_at", BigInteger, nullable=False),  # Unix milliseconds
    # The last attempt's outcome (migration 0008); times in Unix milliseconds.
    Column("first_attempt_at", BigInteger),
    Column("last_attempt_at", BigInteger),
    Column("last_status", Integer),
    Column("last_error", Text),
    # The event's subject and sequence, for a hook that delivers in order per subject (its
    # `config.ordering` when the event was stored); null otherwise (migration 0011).
    Column("ordered_subject", String(256)),
    Column("ordered_sequence", BigInteger),
    Index(
        "deliveries_due",
        "next_attempt_at",
        sqlite_where=text("status < 2"),
        postgresql_where=text("status < 2"),
    ),
    Index("deliveries_event", "event_id"),
    # A hook's failed deliveries, newest first: ids sort by creation time (migration 0013).
    Index(
        "deliveries_failed",
        "hook_id",
        "id",
        sqlite_where=text("status = 3"),
        postgresql_where=text("status = 3"),
    ),
    # A subject's oldest unfinished delivery to an ordered hook, for the claim.
    Index(
        "deliveries_ordered",
        "hook_id",
        "ordered_subject",
        "ordered_sequence",
        sqlite_where=text("status < 2 AND ordered_subject IS NOT NULL"),
        postgresql_where=text("status < 2 AND ordered_subject IS NOT NULL"),
    ),
    # Its pending deliveries by due time, for the claim to hold back those out of turn.
    Index(
        "deliveries_held",
        "next_attempt_at",
        sqlite_where=text("status = 0 AND ordered_subject IS NOT NULL"),
        postgresql_where=text("status = 0 AND ordered_subject IS NOT NULL"),
    ),
)

# A row per failing hook: since when (Unix ms) none of its attempts has succeeded
# (outbox.queue.health). A success deletes it; so does disabling the hook.
hook_health = Table(
    "hook_health",
    metadata,
    Column("hook_id", String(21), ForeignKey("hooks.id", ondelete="CASCADE"), primary_key=True),
    Column("failing_since", BigInteger, nullable=False),
)

# Each rate-limited hook's next free send time (Unix seconds), shared by every dispatcher.
hook_pacing = Table(
    "hook_pacing",
    metadata,
    Column("hook_id", String(21), ForeignKey("hooks.id", ondelete="CASCADE"), primary_key=True),
    Column("next_slot_at", Float, nullable=False),
)

# Counters bumped with every change of what they name, for caches in every process.
revisions = Table(
    "revisions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# One row per HTTP attempt, readable as Logto's `TriggerHook.<event>` log entry.
logs = Table(
    "logs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key", String(160), nullable=False),
    Column("hook_id", String(21), nullable=False),
    Column("delivery_id", String(40), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("result", String(16), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("error", Text),
    Column("duration_ms", Float, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # A synchronous hook's call: what it decided, on its last attempt (migration 0017).
    Column("decision", String(64)),
    Index("logs_hook_created", "hook_id", "created_at"),
)


# The console's admins and their sessions (migration 0016). Times are Unix ms.
console_admins = Table(
    "console_admins",
    metadata,
    Column("username", String(128), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("failed_sign_ins", Integer, nullable=False, server_default="0"),
    Column("locked_until", BigInteger),
    Column("created_at", BigInteger, nullable=False),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    # SHA-256 (hex) of the cookie's value: the value itself is never stored.
    Column("id_hash", String(64), primary_key=True),
    Column(
        "username",
        String(128),
        ForeignKey("console_admins.username", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("console_sessions_expires_at", "expires_at"),
)


# The identity backend (migration 0003).
def _tenant() -> Column:
    return Column("tenant_id", String(21), nullable=False, server_default="default")


def _link(name: str, left: str, left_table: str, right: str, right_table: str) -> Table:
    return Table(
        name,
        metadata,
        _tenant(),
        Column(
            left, String(21), ForeignKey(f"{left_table}.id", ondelete="CASCADE"), primary_key=True
        ),
        Column(
            right, String(21), ForeignKey(f"{right_table}.id", ondelete="CASCADE"), primary_key=True
        ),
        Index(f"{name}_{right}", right),
    )


users = Table(
    "users",
    metadata,
    _tenant(),
    Column("id", String(12), primary_key=True),
    Column("username", String(128), unique=True),
    Column("primary_email", String(128), unique=True),
    Column("primary_phone", String(128), unique=True),
    Column("name", String(128)),
    Column("avatar", String(2048)),
    Column("custom_data", JSON, nullable=False),
    Column("identities", JSON, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("application_id", String(21)),
    Column("password_hash", Text),
    Column("is_suspended", Boolean, nullable=False, server_default=false()),
    Column("last_sign_in_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

resources = Table(
    "resources",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("indicator", String(2048), nullable=False, unique=True),
    Column("is_default", Boolean, nullable=False, server_default=false()),
    Column("access_token_ttl", BigInteger, nullable=False, server_default="3600"),
)

scopes = Table(
    "scopes",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column(
        "resource_id", String(21), ForeignKey("resources.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(256), nullable=False),
    Column("description", Text),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("resource_id", "name"),
)

roles = Table(
    "roles",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("type", String(32), nullable=False, server_default="User"),
    Column("is_default", Boolean, nullable=False, server_default=false()),
    Column("created_at", BigInteger, nullable=False),
)

roles_scopes = _link("roles_scopes", "role_id", "roles", "scope_id", "scopes")
users_roles = _link("users_roles", "user_id", "users", "role_id", "roles")
# Machine-to-machine roles of applications: what they may do with API resources (migration 0007).
applications_roles = _link(
    "applications_roles", "application_id", "applications", "role_id", "roles"
)

organizations = Table(
    "organizations",
    metadata,
    _tenant(),
    Column("id", String(12), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("description", Text),
    Column("custom_data", JSON, nullable=False),
    Column("is_mfa_required", Boolean, nullable=False, server_default=false()),
    Column("color", JSON, nullable=False),
    Column("branding", JSON, nullable=False),
    Column("custom_css", Text),
    Column("created_at", BigInteger, nullable=False),
)

organization_roles = Table(
    "organization_roles",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text),
    Column("type", String(32), nullable=False, server_default="User"),
    Column("created_at", BigInteger, nullable=False),
)

organization_scopes = Table(
    "organization_scopes",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text),
    Column("created_at", BigInteger, nullable=False),
)

organization_role_scopes = _link(
    "organization_role_scopes",
    "organization_role_id",
    "organization_roles",
    "organization_scope_id",
    "organization_scopes",
)
organization_role_resource_scopes = _link(
    "organization_role_resource_scopes",
    "organization_role_id",
    "organization_roles",
    "scope_id",
    "scopes",
)
organization_users = _link(
    "organization_users", "organization_id", "organizations", "user_id", "users"
)
organization_applications = _link(
    "organization_applications",
    "organization_id",
    "organizations",
    "application_id",
    "applications",
)

organization_user_roles = Table(
    "organization_user_roles",
    metadata,
    _tenant(),
    Column("organization_id", String(21), primary_key=True),
    Column("user_id", String(21), primary_key=True),
    Column(
        "organization_role_id",
        String(21),
        ForeignKey("organization_roles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    ForeignKeyConstraint(
        ["organization_id", "user_id"],
        ["organization_users.organization_id", "organization_users.user_id"],
        ondelete="CASCADE",
    ),
)

organization_invitations = Table(
    "organization_invitations",
    metadata,
    _tenant(),
    Column("id", String(21), primary_key=True),
    Column("inviter_id", String(21)),
    Column("invitee", String(256), nullable=False),
    Column("accepted_user_id", String(21)),
    Column(
        "organization_id",
        String(21),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(32), nullable=False),
    Column("organization_role_ids", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

# Sign-in flows (migration 0004).
interactions = Table(
    "interactions",
    metadata,
    Column("id", String(21), primary_key=True),
    # SHA-256 (hex) of the `_interaction` cookie's random value (migration 0018). The id is
    # public (webhook payloads' `sessionId`); only the cookie's holder may go on.
    Column("secret_hash", String(64), nullable=False),
    Column("interaction_event", String(32), nullable=False),
    Column("application_id", String(21)),
    Column("state", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("interactions_secret_hash", "secret_hash", unique=True),
)

verification_codes = Table(
    "verification_codes",
    metadata,
    Column("id", String(21), primary_key=True),
    Column("interaction_id", String(21)),
    Column("identifier_type", String(16), nullable=False),
    Column("identifier", String(256), nullable=False),
    Column("code", String(16), nullable=False),
    Column("consumed", Boolean, nullable=False, server_default=false()),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("verification_codes_recipient", "identifier", "created_at"),
)

sentinel_activities = Table(
    "sentinel_activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target_type", String(16), nullable=False),
    Column("target", String(256), nullable=False),
    Column("action", String(64), nullable=False),
    Column("result", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("sentinel_activities_target", "target_type", "target", "created_at"),
)

sign_in_experiences = Table(
    "sign_in_experiences",
    metadata,
    Column("id", String(21), primary_key=True),
    Column("data", JSON, nullable=False),
)
