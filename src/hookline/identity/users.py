"""Users: Logto's projection, the Management API's reads and writes, and role assignment.

SQL on the caller's connection; nothing here commits. Each write emits its events in the
caller's transaction. Errors are Logto's codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, select, update

from hookline.db.sql import Cursor
from hookline.db.tables import roles, users, users_roles
from hookline.errors import ApiError, not_exists_with_id
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.identifiers import IDENTIFIERS
from hookline.identity.role_holders import USERS
from hookline.identity.search import search_condition
from hookline.ids import now_ms, random_id

# API field → column, for the fields the Management API writes directly.
COLUMNS = {
    "username": "username",
    "primaryEmail": "primary_email",
    "primaryPhone": "primary_phone",
    "name": "name",
    "avatar": "avatar",
    "customData": "custom_data",
    "profile": "profile",
}
_JSON_COLUMNS = ("custom_data", "identities", "profile")
# A user as stored: a row read back, or the values just inserted.
UserRow = Mapping[Any, Any]


def user_json(row: UserRow) -> dict[str, Any]:
    """The user as Logto sends it in webhooks (`userInfoSelectFields`, in that order)."""
    return {
        "id": row["id"],
        "username": row["username"],
        "primaryEmail": row["primary_email"],
        "primaryPhone": row["primary_phone"],
        "name": row["name"],
        "avatar": row["avatar"],
        "customData": row["custom_data"],
        "identities": row["identities"],
        "lastSignInAt": row["last_sign_in_at"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "profile": row["profile"],
        "applicationId": row["application_id"],
        "isSuspended": bool(row["is_suspended"]),
    }


def user_detail_json(row: UserRow) -> dict[str, Any]:
    """A Management API answer about one user: the projection plus `hasPassword`, no hash."""
    return {**user_json(row), "hasPassword": row["password_hash"] is not None}


def jsonb(value: Any) -> Any:
    """`value` as PostgreSQL's jsonb gives it back to Logto: object keys shortest first,
    then bytewise, at every depth."""
    if isinstance(value, dict):
        ordered = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: jsonb(value[k]) for k in ordered}
    if isinstance(value, list):
        return [jsonb(v) for v in value]
    return value


# Reads.


def get_user(conn: Connection, user_id: str) -> UserRow:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    if row is None:
        raise not_exists_with_id("user", user_id)
    return row


def list_users(
    conn: Connection,
    params: Iterable[tuple[str, str]],
    page: int,
    size: int,
    exclude_role_id: str | None = None,
) -> tuple[Sequence[UserRow], int]:
    """Newest first, filtered by Logto's `search` query parameters."""
    condition = search_condition(params, _USER_SEARCH)
    if exclude_role_id:
        holders = select(users_roles.c.user_id).where(users_roles.c.role_id == exclude_role_id)
        condition = and_(condition, users.c.id.not_in(holders))
    total = conn.execute(select(func.count()).select_from(users).where(condition)).scalar_one()
    rows = conn.execute(
        select(users)
        .where(condition)
        .order_by(users.c.created_at.desc(), users.c.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).mappings()
    return rows.all(), total


# Writes.


def create_user(
    conn: Connection, ctx: Context, fields: dict[str, Any], password_hash: str | None
) -> dict[str, Any]:
    """`User.Created`; returns the user as the Management API answers it."""
    user = user_detail_json(insert_user(conn, fields, password_hash))
    emit_change(conn, ctx, "User.Created", user)
    return user


def insert_user(
    conn: Connection, fields: dict[str, Any], password_hash: str | None
) -> dict[str, Any]:
    """Insert a user (API field names in `fields`) and give it the default user roles. No
    event: the sign-in flows fire theirs (identity.experience).

    The hottest write of the identity API, so plain SQL on the driver's cursor (as the
    outbox does): the statement-building layer cost more than the database here.
    """
    _check_collisions(conn, fields, None, IDENTIFIERS)
    cursor = Cursor(conn)
    now = now_ms()
    row: dict[str, Any] = {
        "tenant_id": "default",
        "id": _new_user_id(),
        "username": None,
        "primary_email": None,
        "primary_phone": None,
        "name": None,
        "avatar": None,
        "custom_data": {},
        "identities": {},
        "profile": {},
        "application_id": None,
        "password_hash": password_hash,
        "is_suspended": False,
        "last_sign_in_at": None,
        "created_at": now,
        "updated_at": now,
    }
    row |= {COLUMNS[k]: v for k, v in fields.items()}
    for column in _JSON_COLUMNS:
        row[column] = jsonb(row[column])
    stored = {k: json.dumps(v) if k in _JSON_COLUMNS else v for k, v in row.items()}
    cursor.execute(_INSERT_USER, stored)
    cursor.execute(_GRANT_DEFAULT_ROLES, (row["id"],))
    return row


_INSERT_USER = (
    "INSERT INTO users (tenant_id, id, username, primary_email, primary_phone, name, avatar,"
    " custom_data, identities, profile, application_id, password_hash, is_suspended,"
    " last_sign_in_at, created_at, updated_at) VALUES (:tenant_id, :id, :username,"
    " :primary_email, :primary_phone, :name, :avatar, :custom_data, :identities, :profile,"
    " :application_id, :password_hash, :is_suspended, :last_sign_in_at, :created_at,"
    " :updated_at)"
)
_GRANT_DEFAULT_ROLES = (
    "INSERT INTO users_roles (tenant_id, user_id, role_id)"
    " SELECT 'default', ?, id FROM roles WHERE is_default AND type = 'User'"
)
# Ids are never empty, so `id <> ''` (no user to exclude) excludes nobody.
_COLLISION_SQL = {
    "username": "SELECT 1 FROM users WHERE username = ? AND id <> ? LIMIT 1",
    "primaryEmail": (
        "SELECT 1 FROM users WHERE lower(primary_email) = lower(?) AND id <> ? LIMIT 1"
    ),
    "primaryPhone": "SELECT 1 FROM users WHERE primary_phone = ? AND id <> ? LIMIT 1",
}


def _check_collisions(
    conn: Connection, fields: dict[str, Any], exclude_id: str | None, order: tuple[str, ...]
) -> None:
    """422 if another user holds the username (exact), email (any case) or phone."""
    cursor = Cursor(conn)
    for field in order:
        value = fields.get(field)
        if value and cursor.execute(_COLLISION_SQL[field], (value, exclude_id or "")).fetchone():
            code, message = IN_USE[field]
            raise ApiError(422, code, message)


def update_user(
    conn: Connection, ctx: Context, user_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """`PATCH /users/:userId`: the given fields replace the stored ones (JSON ones whole)."""
    return _updated(conn, ctx, write_fields(conn, user_id, fields))


def write_fields(conn: Connection, user_id: str, fields: dict[str, Any]) -> UserRow:
    """Store API fields of a user (no event); returns the row."""
    get_user(conn, user_id)
    _check_collisions(conn, fields, user_id, ("primaryEmail", "primaryPhone", "username"))
    values = {COLUMNS[k]: jsonb(v) if COLUMNS[k] in _JSON_COLUMNS else v for k, v in fields.items()}
    return _write(conn, user_id, values)


def merge_user_json_field(
    conn: Connection, ctx: Context, user_id: str, column: str, value: dict
) -> dict[str, Any]:
    """`custom-data` and `profile` patches: top-level keys merge into the stored object,
    which is returned whole and is the event's data."""
    merged = jsonb({**get_user(conn, user_id)[column], **value})
    _write(conn, user_id, {column: merged})
    emit_change(conn, ctx, "User.Data.Updated", merged)
    return merged


def set_password(conn: Connection, ctx: Context, user_id: str, password_hash: str) -> dict:
    return _updated(conn, ctx, write_password(conn, user_id, password_hash))


def write_password(conn: Connection, user_id: str, password_hash: str) -> UserRow:
    """Store a new password hash (no event); returns the row."""
    get_user(conn, user_id)
    return _write(conn, user_id, {"password_hash": password_hash})


def upgrade_password_hash(conn: Connection, user_id: str, old: str, new: str) -> None:
    """Swap a hash of the same password for one made with today's parameters; nothing a user
    sees changes (not even `updatedAt`), and a password changed meanwhile is left alone."""
    conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.password_hash == old)
        .values(password_hash=new)
    )


def set_suspended(conn: Connection, ctx: Context, user_id: str, suspended: bool) -> dict:
    get_user(conn, user_id)
    row = _write(conn, user_id, {"is_suspended": suspended})
    return _updated(conn, ctx, row, "User.SuspensionStatus.Updated")


def delete_user(conn: Connection, ctx: Context, user_id: str) -> None:
    """Delete a user (its role and organization links go with it): Logto's hand-made
    `User.Deleted`, the user as it was before the request's fields."""
    row = get_user(conn, user_id)
    conn.execute(delete(users).where(users.c.id == user_id))
    emit_change(conn, ctx, "User.Deleted", user_json(row), data_first=True)


def _updated(
    conn: Connection, ctx: Context, row: UserRow, event: str = "User.Data.Updated"
) -> dict[str, Any]:
    user = user_detail_json(row)
    emit_change(conn, ctx, event, user)
    return user


def _write(conn: Connection, user_id: str, values: dict[str, Any]) -> UserRow:
    conn.execute(update(users).where(users.c.id == user_id).values(updated_at=now_ms(), **values))
    return get_user(conn, user_id)


def _new_user_id() -> str:
    # 36¹² ids: a collision is as likely as none at all in practice, and the primary key
    # would refuse one rather than merge two users.
    return random_id(12)


# The 422 (code, message) Logto answers when another user holds an identifier.
IN_USE: dict[str, tuple[str, str]] = {
    "username": ("user.username_already_in_use", "This username is already in use."),
    "primaryEmail": (
        "user.email_already_in_use",
        "This email is associated with an existing account.",
    ),
    "primaryPhone": (
        "user.phone_already_in_use",
        "This phone number is associated with an existing account.",
    ),
}


# Role assignment.


def list_user_roles(
    conn: Connection, user_id: str, params: Iterable[tuple[str, str]], page: int, size: int
) -> tuple[Sequence[Row], int]:
    """The user's roles (type `User` only, as Logto), filtered by `search`."""
    get_user(conn, user_id)
    return USERS.page(conn, user_id, search_condition(params, _ROLE_SEARCH), page, size)


def add_user_roles(conn: Connection, ctx: Context, user_id: str, role_ids: list[str]) -> list[str]:
    """Assign roles; those already held are skipped. Returns the newly assigned ids."""
    get_user(conn, user_id)
    added = USERS.add(conn, user_id, role_ids)
    _roles_changed(conn, ctx, user_id, added, [])
    return added


def replace_user_roles(
    conn: Connection, ctx: Context, user_id: str, role_ids: list[str]
) -> tuple[list[str], list[str]]:
    """Make the user's roles exactly `role_ids`; returns (added, removed)."""
    get_user(conn, user_id)
    added, removed = USERS.replace(conn, user_id, role_ids)
    _roles_changed(conn, ctx, user_id, added, removed)
    return added, removed


def remove_user_role(conn: Connection, ctx: Context, user_id: str, role_id: str) -> None:
    get_user(conn, user_id)
    USERS.remove(conn, user_id, role_id)
    _roles_changed(conn, ctx, user_id, [], [role_id])


def _roles_changed(
    conn: Connection, ctx: Context, user_id: str, added: list[str], removed: list[str]
) -> None:
    """hookline's `User.Roles.Updated` (Logto fires nothing): the ids of either kind, when any."""
    delta = {"addedRoleIds": added, "removedRoleIds": removed}
    ids: dict[str, Any] = {key: value for key, value in delta.items() if value}
    emit_change(conn, ctx, "User.Roles.Updated", userId=user_id, **ids)


# The columns Logto's `search` query parameters may name, for users and for their roles.
_USER_SEARCH = {
    "id": users.c.id,
    "primary_email": users.c.primary_email,
    "primary_phone": users.c.primary_phone,
    "username": users.c.username,
    "name": users.c.name,
}
_ROLE_SEARCH = {"id": roles.c.id, "name": roles.c.name, "description": roles.c.description}
