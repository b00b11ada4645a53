"""Organization scopes (permissions of the organization template)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hookline.db.tables import organization_scopes
from hookline.errors import not_exists_with_id
from hookline.identity.organizations import Paging, integrity, page, search
from hookline.ids import now_ms, random_id

TABLE = "organization_scopes"


def to_api(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
    }


def create(conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
    scope_id = random_id()
    with integrity():
        conn.execute(insert(organization_scopes).values(id=scope_id, created_at=now_ms(), **fields))
    return get(conn, scope_id)


def get(conn: Connection, scope_id: str) -> dict[str, Any]:
    row = conn.execute(
        select(organization_scopes).where(organization_scopes.c.id == scope_id)
    ).first()
    if row is None:
        raise not_exists_with_id(TABLE, scope_id)
    return to_api(row)


def list_scopes(
    conn: Connection, q: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    query = select(organization_scopes).order_by(
        organization_scopes.c.created_at, organization_scopes.c.id
    )
    if q:
        query = query.where(search(organization_scopes.c.name, q))
    rows, total = page(conn, query, paging)
    return [to_api(row) for row in rows], total


def patch(conn: Connection, scope_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    get(conn, scope_id)
    if fields:
        with integrity():
            conn.execute(
                update(organization_scopes)
                .where(organization_scopes.c.id == scope_id)
                .values(**fields)
            )
    return get(conn, scope_id)


def remove(conn: Connection, scope_id: str) -> None:
    result = conn.execute(delete(organization_scopes).where(organization_scopes.c.id == scope_id))
    if result.rowcount == 0:
        raise not_exists_with_id(TABLE, scope_id)
