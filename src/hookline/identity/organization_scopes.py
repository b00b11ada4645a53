"""Organization scopes (permissions of the organization template).

SQL on the caller's connection; nothing here commits. Each write emits its events in the
caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from hookline.db.errors import integrity
from hookline.db.tables import organization_scopes
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.rows import Paging, delete_row, get_row, page, q_condition, update_row
from hookline.ids import now_ms, random_id


def organization_scope_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
    }


def get_organization_scope(conn: Connection, scope_id: str) -> dict[str, Any]:
    return organization_scope_json(get_row(conn, organization_scopes, scope_id))


def list_organization_scopes(
    conn: Connection, q: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    query = select(organization_scopes).order_by(
        organization_scopes.c.created_at, organization_scopes.c.id
    )
    if q:
        query = query.where(q_condition(organization_scopes.c.name, q))
    rows, total = page(conn, query, paging)
    return [organization_scope_json(row) for row in rows], total


def create_organization_scope(
    conn: Connection, ctx: Context, fields: dict[str, Any]
) -> dict[str, Any]:
    scope_id = random_id()
    with integrity():
        conn.execute(insert(organization_scopes).values(id=scope_id, created_at=now_ms(), **fields))
    scope = get_organization_scope(conn, scope_id)
    emit_change(conn, ctx, "OrganizationScope.Created", scope)
    return scope


def update_organization_scope(
    conn: Connection, ctx: Context, scope_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    with integrity():
        scope = organization_scope_json(update_row(conn, organization_scopes, scope_id, fields))
    emit_change(conn, ctx, "OrganizationScope.Data.Updated", scope)
    return scope


def delete_organization_scope(conn: Connection, ctx: Context, scope_id: str) -> None:
    delete_row(conn, organization_scopes, scope_id)
    emit_change(conn, ctx, "OrganizationScope.Deleted")
