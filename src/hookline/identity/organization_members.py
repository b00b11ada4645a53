"""Who belongs to an organization: its users and its applications, changed by true deltas.

Each change fires Logto's hand-made `Organization.Membership.Updated`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, or_, select

from hookline.db.errors import integrity
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
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.rows import (
    Paging,
    page,
    q_condition,
    relation_not_found,
    require_row,
    unique,
)
from hookline.identity.users import user_detail_json

# Logto cuts each delta array of `Organization.Membership.Updated` to its first 5000 ids.
DELTA_LIMIT = 5000


@dataclass(frozen=True)
class Members:
    """One kind of member: the link table, its member column and the noun the event's delta
    keys use (`addedUserIds`, `removedApplicationIds`)."""

    link: Table
    column: str
    noun: str


USERS = Members(organization_users, "user_id", "User")
APPLICATIONS = Members(organization_applications, "application_id", "Application")


def _member_ids(conn: Connection, kind: Members, org_id: str) -> list[str]:
    link = kind.link
    rows = conn.execute(
        select(link.c[kind.column])
        .where(link.c.organization_id == org_id)
        .order_by(link.c[kind.column])
    )
    return [row[0] for row in rows]


def is_member(conn: Connection, org_id: str, user_id: str) -> bool:
    row = conn.execute(
        select(organization_users.c.user_id).where(
            organization_users.c.organization_id == org_id,
            organization_users.c.user_id == user_id,
        )
    ).first()
    return row is not None


# ---- writes -----------------------------------------------------------------------------------


def add_members(
    conn: Connection, ctx: Context, kind: Members, org_id: str, ids: list[str]
) -> list[str]:
    """Add members; returns, and the event lists, those that were not members yet, in the
    order given."""
    _require_organization(conn, org_id)
    current = set(_member_ids(conn, kind, org_id))
    added = [member_id for member_id in unique(ids) if member_id not in current]
    _insert(conn, kind, org_id, added)
    _membership_changed(conn, ctx, kind, org_id, added=added)
    return added


def replace_members(
    conn: Connection, ctx: Context, kind: Members, org_id: str, ids: list[str]
) -> None:
    """Make `ids` the members."""
    _require_organization(conn, org_id)
    wanted = unique(ids)
    current = _member_ids(conn, kind, org_id)
    added = [member_id for member_id in wanted if member_id not in set(current)]
    removed = [member_id for member_id in current if member_id not in set(wanted)]
    if removed:
        link = kind.link
        conn.execute(
            delete(link).where(link.c.organization_id == org_id, link.c[kind.column].in_(removed))
        )
    _insert(conn, kind, org_id, added)
    _membership_changed(conn, ctx, kind, org_id, added=added, removed=removed)


def remove_member(
    conn: Connection, ctx: Context, kind: Members, org_id: str, member_id: str
) -> None:
    link = kind.link
    result = conn.execute(
        delete(link).where(link.c.organization_id == org_id, link.c[kind.column] == member_id)
    )
    if result.rowcount == 0:
        raise relation_not_found()
    _membership_changed(conn, ctx, kind, org_id, removed=[member_id])


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


def _membership_changed(
    conn: Connection,
    ctx: Context,
    kind: Members,
    org_id: str,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
) -> None:
    """Logto's hand-added event: no `data`, the true delta (empty sides left out, each cut to
    its first 5000 ids); a no-op still sends `organizationId`."""
    delta = {f"added{kind.noun}Ids": added, f"removed{kind.noun}Ids": removed}
    changed: dict[str, Any] = {key: list(ids[:DELTA_LIMIT]) for key, ids in delta.items() if ids}
    emit_change(conn, ctx, "Organization.Membership.Updated", organizationId=org_id, **changed)


# ---- listings ---------------------------------------------------------------------------------


def list_users(
    conn: Connection, org_id: str, q: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """Members with their organization roles (`{id, name}`)."""
    require_row(conn, organizations, org_id)
    query = (
        select(users)
        .join(organization_users, organization_users.c.user_id == users.c.id)
        .where(organization_users.c.organization_id == org_id)
        .order_by(users.c.created_at.desc(), users.c.id)
    )
    if q:
        fields = (users.c.id, users.c.username, users.c.primary_email, users.c.primary_phone)
        query = query.where(or_(*(q_condition(field, q) for field in (*fields, users.c.name))))
    rows, total = page(conn, query, paging)
    roles = _roles_of(conn, org_id, [row.id for row in rows])
    items = [
        user_detail_json(row._mapping) | {"organizationRoles": roles.get(row.id, [])}
        for row in rows
    ]
    return items, total


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


def member_application_json(row: Any) -> dict[str, Any]:
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
    require_row(conn, organizations, org_id)
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
    return [member_application_json(row) for row in rows], total
