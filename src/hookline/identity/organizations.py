"""Organizations: Logto's projection, the Management API's reads and writes.

SQL on the caller's connection; nothing here commits. Each write emits its events in the
caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from hookline.db.tables import organization_users, organizations, users
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.rows import Paging, delete_row, get_row, page, q_condition, update_row
from hookline.ids import now_ms, random_id

_COLUMNS = {
    "name": "name",
    "description": "description",
    "customData": "custom_data",
    "isMfaRequired": "is_mfa_required",
    "color": "color",
    "branding": "branding",
    "customCss": "custom_css",
}


def organization_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "customData": row.custom_data,
        "isMfaRequired": bool(row.is_mfa_required),
        "color": row.color,
        "branding": row.branding,
        "customCss": row.custom_css,
        "createdAt": row.created_at,
    }


def get_organization(conn: Connection, org_id: str) -> dict[str, Any]:
    return organization_json(get_row(conn, organizations, org_id))


def list_organizations(
    conn: Connection, q: str | None, paging: Paging, featured: bool
) -> tuple[list[dict[str, Any]], int]:
    """Newest first; `q` matches the id or the name."""
    query = select(organizations).order_by(organizations.c.created_at.desc(), organizations.c.id)
    if q:
        query = query.where(
            or_(q_condition(organizations.c.id, q), q_condition(organizations.c.name, q))
        )
    rows, total = page(conn, query, paging)
    items = [organization_json(row) for row in rows]
    if featured:
        for item in items:
            item |= _featured_users(conn, item["id"])
    return items, total


def _featured_users(conn: Connection, org_id: str) -> dict[str, Any]:
    members = (
        select(users.c.id, users.c.avatar, users.c.name)
        .join(organization_users, organization_users.c.user_id == users.c.id)
        .where(organization_users.c.organization_id == org_id)
    )
    count = conn.execute(select(func.count()).select_from(members.subquery())).scalar_one()
    featured = conn.execute(members.order_by(users.c.created_at.desc()).limit(3))
    return {
        "usersCount": count,
        "featuredUsers": [{"id": r.id, "avatar": r.avatar, "name": r.name} for r in featured],
    }


def create_organization(conn: Connection, ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    """`Organization.Created`; `fields` by API name."""
    org_id = random_id(12)
    values = {"customData": {}, "color": {}, "branding": {}, **fields}
    conn.execute(insert(organizations).values(id=org_id, created_at=now_ms(), **_columns(values)))
    organization = get_organization(conn, org_id)
    emit_change(conn, ctx, "Organization.Created", organization)
    return organization


def update_organization(
    conn: Connection, ctx: Context, org_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """`Organization.Data.Updated`; the given fields replace the stored ones."""
    organization = organization_json(update_row(conn, organizations, org_id, _columns(fields)))
    emit_change(conn, ctx, "Organization.Data.Updated", organization)
    return organization


def delete_organization(conn: Connection, ctx: Context, org_id: str) -> None:
    """`Organization.Deleted`. Members, their roles, applications and invitations go with it
    (cascades)."""
    delete_row(conn, organizations, org_id)
    emit_change(conn, ctx, "Organization.Deleted")


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    return {_COLUMNS[key]: value for key, value in fields.items()}
