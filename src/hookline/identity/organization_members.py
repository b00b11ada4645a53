"""Who belongs to an organization: its users and its applications, changed by true deltas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, or_, select

from hookline.db.tables import (
    applications,
    organization_applications,
    organization_roles,
    organization_user_roles,
    organization_users,
    organizations,
    users,
)
from hookline.errors import foreign_key_not_found
from hookline.identity.organizations import (
    Paging,
    integrity,
    page,
    relation_not_found,
    require_existing,
    search,
    unique,
)

# Logto cuts each delta array of `Organization.Membership.Updated` to its first 5000 ids.
DELTA_LIMIT = 5000


@dataclass(frozen=True)
class Members:
    """One kind of member: the link table, its member column and the member table."""

    link: Table
    column: str
    table: Table


USERS = Members(organization_users, "user_id", users)
APPLICATIONS = Members(organization_applications, "application_id", applications)


def delta(**arrays: list[str]) -> dict[str, list[str]]:
    """The membership delta fields: empty arrays left out, each cut to its first 5000 ids."""
    return {key: ids[:DELTA_LIMIT] for key, ids in arrays.items() if ids}


def member_ids(conn: Connection, kind: Members, org_id: str) -> list[str]:
    link = kind.link
    rows = conn.execute(
        select(link.c[kind.column])
        .where(link.c.organization_id == org_id)
        .order_by(link.c[kind.column])
    )
    return [row[0] for row in rows]


def _require_organization(conn: Connection, org_id: str) -> None:
    """Adding to a missing organization breaks a foreign key in Logto: 422, not 404."""
    exists = conn.execute(select(organizations.c.id).where(organizations.c.id == org_id)).first()
    if exists is None:
        raise foreign_key_not_found()


def _insert(conn: Connection, kind: Members, org_id: str, ids: list[str]) -> None:
    if ids:
        with integrity():
            conn.execute(
                insert(kind.link),
                [{"organization_id": org_id, kind.column: member_id} for member_id in ids],
            )


def add(conn: Connection, kind: Members, org_id: str, ids: list[str]) -> list[str]:
    """Add members; return those that were not members before, in the order given."""
    _require_organization(conn, org_id)
    current = set(member_ids(conn, kind, org_id))
    added = [member_id for member_id in unique(ids) if member_id not in current]
    _insert(conn, kind, org_id, added)
    return added


def replace(
    conn: Connection, kind: Members, org_id: str, ids: list[str]
) -> tuple[list[str], list[str]]:
    """Make `ids` the members; return (added, removed)."""
    _require_organization(conn, org_id)
    wanted = unique(ids)
    current = member_ids(conn, kind, org_id)
    added = [member_id for member_id in wanted if member_id not in set(current)]
    removed = [member_id for member_id in current if member_id not in set(wanted)]
    if removed:
        link = kind.link
        conn.execute(
            delete(link).where(link.c.organization_id == org_id, link.c[kind.column].in_(removed))
        )
    _insert(conn, kind, org_id, added)
    return added, removed


def remove(conn: Connection, kind: Members, org_id: str, member_id: str) -> None:
    link = kind.link
    result = conn.execute(
        delete(link).where(link.c.organization_id == org_id, link.c[kind.column] == member_id)
    )
    if result.rowcount == 0:
        raise relation_not_found()


def is_member(conn: Connection, org_id: str, user_id: str) -> bool:
    row = conn.execute(
        select(organization_users.c.user_id).where(
            organization_users.c.organization_id == org_id,
            organization_users.c.user_id == user_id,
        )
    ).first()
    return row is not None


# ---- listings ---------------------------------------------------------------------------------


def user_to_api(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "primaryEmail": row.primary_email,
        "primaryPhone": row.primary_phone,
        "name": row.name,
        "avatar": row.avatar,
        "customData": row.custom_data,
        "identities": row.identities,
        "lastSignInAt": row.last_sign_in_at,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "profile": row.profile,
        "applicationId": row.application_id,
        "isSuspended": bool(row.is_suspended),
        "hasPassword": row.password_hash is not None,
    }


def list_users(
    conn: Connection, org_id: str, q: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """Members with their organization roles (`{id, name}`)."""
    require_existing(conn, organizations, org_id, "organizations")
    query = (
        select(users)
        .join(organization_users, organization_users.c.user_id == users.c.id)
        .where(organization_users.c.organization_id == org_id)
        .order_by(users.c.created_at.desc(), users.c.id)
    )
    if q:
        fields = (users.c.id, users.c.username, users.c.primary_email, users.c.primary_phone)
        query = query.where(or_(*(search(field, q) for field in (*fields, users.c.name))))
    rows, total = page(conn, query, paging)
    roles = _roles_of(conn, org_id, [row.id for row in rows])
    return [user_to_api(row) | {"organizationRoles": roles.get(row.id, [])} for row in rows], total


def _roles_of(conn: Connection, org_id: str, user_ids: list[str]) -> dict[str, list[dict]]:
    rows = conn.execute(
        select(
            organization_user_roles.c.user_id, organization_roles.c.id, organization_roles.c.name
        )
        .join(
            organization_roles,
            organization_roles.c.id == organization_user_roles.c.organization_role_id,
        )
        .where(
            organization_user_roles.c.organization_id == org_id,
            organization_user_roles.c.user_id.in_(user_ids),
        )
        .order_by(organization_roles.c.name)
    )
    roles: dict[str, list[dict]] = {}
    for row in rows:
        roles.setdefault(row.user_id, []).append({"id": row.id, "name": row.name})
    return roles


def application_to_api(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": row.type,
        "customData": row.custom_data,
        "createdAt": row.created_at,
    }


def list_applications(
    conn: Connection, org_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    require_existing(conn, organizations, org_id, "organizations")
    query = (
        select(applications)
        .join(
            organization_applications,
            organization_applications.c.application_id == applications.c.id,
        )
        .where(organization_applications.c.organization_id == org_id)
        .order_by(applications.c.created_at.desc(), applications.c.id)
    )
    rows, total = page(conn, query, paging)
    return [application_to_api(row) for row in rows], total
