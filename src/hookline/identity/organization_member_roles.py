"""The organization roles of an organization's members.

Each change fires hookline's `Organization.Membership.Roles.Updated` (Logto fires nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from hookline.db.errors import integrity
from hookline.db.tables import organization_roles, organization_user_roles
from hookline.errors import ApiError
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.organization_members import is_member
from hookline.identity.organization_roles import organization_role_json
from hookline.identity.rows import Paging, page, relation_not_found, unique

_LINK = organization_user_roles


def list_member_roles(
    conn: Connection, org_id: str, user_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    _require_membership(conn, org_id, user_id)
    query = (
        select(organization_roles)
        .join(_LINK, _LINK.c.organization_role_id == organization_roles.c.id)
        .where(_LINK.c.organization_id == org_id, _LINK.c.user_id == user_id)
        .order_by(organization_roles.c.name, organization_roles.c.id)
    )
    rows, total = page(conn, query, paging)
    return [organization_role_json(row) for row in rows], total


# ---- writes -----------------------------------------------------------------------------------


def add_users_roles(
    conn: Connection, ctx: Context, org_id: str, user_ids: list[str], role_ids: list[str]
) -> None:
    """Give every listed user every listed role (users must be members); the event names the
    roles someone gained."""
    existing = {
        (row.user_id, row.organization_role_id)
        for row in conn.execute(
            select(_LINK.c.user_id, _LINK.c.organization_role_id).where(
                _LINK.c.organization_id == org_id, _LINK.c.user_id.in_(user_ids)
            )
        )
    }
    pairs = [
        (user_id, role)
        for role in unique(role_ids)
        for user_id in unique(user_ids)
        if (user_id, role) not in existing
    ]
    _insert(conn, org_id, pairs)
    added = unique([role for _, role in pairs])
    _roles_changed(conn, ctx, org_id, {"userIds": unique(user_ids)}, added=added)


def add_member_roles(
    conn: Connection,
    ctx: Context,
    org_id: str,
    user_id: str,
    role_ids: list[str],
    role_names: list[str],
) -> list[str]:
    """Assign roles, given by id or by name; returns their ids. The event names only the
    roles the member did not have."""
    _require_membership(conn, org_id, user_id)
    wanted = _resolve(conn, role_ids, role_names)
    added = insert_member_roles(conn, org_id, user_id, wanted)
    _roles_changed(conn, ctx, org_id, {"userId": user_id}, added=added)
    return wanted


def replace_member_roles(
    conn: Connection,
    ctx: Context,
    org_id: str,
    user_id: str,
    role_ids: list[str],
    role_names: list[str],
) -> None:
    """Make the member's roles exactly those given, by id or by name."""
    _require_membership(conn, org_id, user_id)
    wanted = _resolve(conn, role_ids, role_names)
    current = _role_ids_of(conn, org_id, user_id)
    added = [role for role in wanted if role not in set(current)]
    removed = [role for role in current if role not in set(wanted)]
    if removed:
        conn.execute(
            delete(_LINK).where(
                _LINK.c.organization_id == org_id,
                _LINK.c.user_id == user_id,
                _LINK.c.organization_role_id.in_(removed),
            )
        )
    _insert(conn, org_id, [(user_id, role) for role in added])
    _roles_changed(conn, ctx, org_id, {"userId": user_id}, added=added, removed=removed)


def remove_member_role(
    conn: Connection, ctx: Context, org_id: str, user_id: str, role_id: str
) -> None:
    _require_membership(conn, org_id, user_id)
    result = conn.execute(
        delete(_LINK).where(
            _LINK.c.organization_id == org_id,
            _LINK.c.user_id == user_id,
            _LINK.c.organization_role_id == role_id,
        )
    )
    if result.rowcount == 0:
        raise relation_not_found()
    _roles_changed(conn, ctx, org_id, {"userId": user_id}, removed=[role_id])


def insert_member_roles(
    conn: Connection, org_id: str, user_id: str, role_ids: list[str]
) -> list[str]:
    """Assign roles to a member, no event (an accepted invitation fires only its membership
    change); returns the ones the member did not have."""
    current = set(_role_ids_of(conn, org_id, user_id))
    added = [role for role in unique(role_ids) if role not in current]
    _insert(conn, org_id, [(user_id, role) for role in added])
    return added


# ---- helpers ----------------------------------------------------------------------------------


def _require_membership(conn: Connection, org_id: str, user_id: str) -> None:
    if not is_member(conn, org_id, user_id):
        raise ApiError(
            422,
            "organization.require_membership",
            "The user must be a member of the organization to proceed.",
        )


def _role_ids_of(conn: Connection, org_id: str, user_id: str) -> list[str]:
    rows = conn.execute(
        select(_LINK.c.organization_role_id)
        .where(_LINK.c.organization_id == org_id, _LINK.c.user_id == user_id)
        .order_by(_LINK.c.organization_role_id)
    )
    return [row[0] for row in rows]


def _resolve(conn: Connection, role_ids: list[str], role_names: list[str]) -> list[str]:
    """Role ids given by id or by name; unknown names answer Logto's 422."""
    found: dict[str, str] = {}
    if role_names:
        rows = conn.execute(
            select(organization_roles.c.id, organization_roles.c.name).where(
                organization_roles.c.name.in_(role_names)
            )
        )
        found = {row.name: row.id for row in rows}
    missing = [name for name in unique(role_names) if name not in found]
    if missing:
        raise ApiError(
            422,
            "organization.role_names_not_found",
            f"Invalid role names detected: {', '.join(missing)}. Please create these roles"
            " first before proceeding.",
            data={"names": missing},
        )
    return unique([*role_ids, *(found[name] for name in role_names)])


def _insert(conn: Connection, org_id: str, pairs: list[tuple[str, str]]) -> None:
    if pairs:
        with integrity():
            conn.execute(
                insert(_LINK),
                [
                    {"organization_id": org_id, "user_id": user_id, "organization_role_id": role}
                    for user_id, role in pairs
                ],
            )


def _roles_changed(
    conn: Connection,
    ctx: Context,
    org_id: str,
    who: dict[str, Any],
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
) -> None:
    """`organizationId`, `userId` or `userIds`, then the role delta (empty sides left out)."""
    delta = {"addedOrganizationRoleIds": added, "removedOrganizationRoleIds": removed}
    changed: dict[str, Any] = {key: list(ids) for key, ids in delta.items() if ids}
    emit_change(
        conn, ctx, "Organization.Membership.Roles.Updated", organizationId=org_id, **who, **changed
    )
