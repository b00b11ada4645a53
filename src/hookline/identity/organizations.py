"""Organizations: create, read, update, delete; and the helpers the organization modules share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Select, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hookline.db.tables import organization_users, organizations, users
from hookline.errors import ApiError, constraint_violated, not_exists_with_id
from hookline.ids import now_ms, random_id

Paging = tuple[int, int] | None


# ---- shared by the organization modules -------------------------------------------------------


def relation_not_found() -> ApiError:
    """Logto's answer for removing a relation that does not exist (its `DeletionError`)."""
    return ApiError(404, "entity.not_found", "The resource does not exist.")


@contextmanager
def integrity() -> Iterator[None]:
    """Answer constraint violations as Logto's organization routes do (422)."""
    try:
        yield
    except IntegrityError as exc:
        raise constraint_violated(str(exc.orig)) from exc


def unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def page(conn: Connection, query: Select, paging: Paging) -> tuple[list[Any], int]:
    """Rows of `query` on the requested page, and the total count without paging."""
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    if paging is not None:
        number, size = paging
        query = query.limit(size).offset((number - 1) * size)
    return list(conn.execute(query)), total


def search(column: Column, q: str | None) -> Any:
    """Logto's `q`: a case-insensitive substring match."""
    if not q:
        return None
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def require_existing(conn: Connection, table: Any, entity_id: str, name: str) -> None:
    if conn.execute(select(table.c.id).where(table.c.id == entity_id)).first() is None:
        raise not_exists_with_id(name, entity_id)


# ---- organizations ----------------------------------------------------------------------------


def to_api(row: Any) -> dict[str, Any]:
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


_COLUMNS = {
    "name": "name",
    "description": "description",
    "customData": "custom_data",
    "isMfaRequired": "is_mfa_required",
    "color": "color",
    "branding": "branding",
    "customCss": "custom_css",
}


def create(conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
    org_id = random_id(12)
    values = {"customData": {}, "color": {}, "branding": {}, **fields}
    conn.execute(
        insert(organizations).values(
            id=org_id,
            created_at=now_ms(),
            **{_COLUMNS[key]: value for key, value in values.items()},
        )
    )
    return get(conn, org_id)


def get(conn: Connection, org_id: str) -> dict[str, Any]:
    row = conn.execute(select(organizations).where(organizations.c.id == org_id)).first()
    if row is None:
        raise not_exists_with_id("organizations", org_id)
    return to_api(row)


def list_organizations(
    conn: Connection, q: str | None, paging: Paging, featured: bool
) -> tuple[list[dict[str, Any]], int]:
    """Newest first; `q` matches the id or the name."""
    query = select(organizations).order_by(organizations.c.created_at.desc(), organizations.c.id)
    if q:
        query = query.where(or_(search(organizations.c.id, q), search(organizations.c.name, q)))
    rows, total = page(conn, query, paging)
    items = [to_api(row) for row in rows]
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


def patch(conn: Connection, org_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    get(conn, org_id)
    if fields:
        conn.execute(
            update(organizations)
            .where(organizations.c.id == org_id)
            .values(**{_COLUMNS[key]: value for key, value in fields.items()})
        )
    return get(conn, org_id)


def remove(conn: Connection, org_id: str) -> None:
    """Members, their roles, applications and invitations go with it (cascades)."""
    result = conn.execute(delete(organizations).where(organizations.c.id == org_id))
    if result.rowcount == 0:
        raise not_exists_with_id("organizations", org_id)
