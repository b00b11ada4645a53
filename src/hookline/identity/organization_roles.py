"""Organization roles and the organization scopes (and resource scopes) they grant.

SQL on the caller's connection; nothing here commits. Each write emits its events in the
caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from hookline.db.errors import integrity
from hookline.db.sql import insert_or_ignore
from hookline.db.tables import (
    organization_role_resource_scopes,
    organization_role_scopes,
    organization_roles,
    organization_scopes,
    resources,
    scopes,
)
from hookline.errors import foreign_key_not_found
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.organization_scopes import organization_scope_json
from hookline.identity.resources import scope_json
from hookline.identity.rows import (
    Paging,
    delete_row,
    get_row,
    page,
    q_condition,
    relation_not_found,
    require_row,
    unique,
    update_row,
)
from hookline.ids import now_ms, random_id

SCOPES_UPDATED = "OrganizationRole.Scopes.Updated"

# The two scope kinds a role grants: (link table, its scope column). Logto serves both through
# the same relation routes (`/scopes` and `/resource-scopes`), so they share the code.
Grant = tuple[Any, str]
ORGANIZATION_SCOPES: Grant = (organization_role_scopes, "organization_scope_id")
RESOURCE_SCOPES: Grant = (organization_role_resource_scopes, "scope_id")


def organization_role_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": row.type,
    }


def get_organization_role(conn: Connection, role_id: str) -> dict[str, Any]:
    return organization_role_json(get_row(conn, organization_roles, role_id))


def list_organization_roles(
    conn: Connection, q: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """Roles with their `scopes` and `resourceScopes`, as Logto lists them."""
    query = select(organization_roles).order_by(
        organization_roles.c.created_at, organization_roles.c.id
    )
    if q:
        query = query.where(q_condition(organization_roles.c.name, q))
    rows, total = page(conn, query, paging)
    ids = [row.id for row in rows]
    granted: dict[str, list[dict]] = {role_id: [] for role_id in ids}
    for row in conn.execute(
        select(organization_role_scopes.c.organization_role_id, organization_scopes)
        .join(
            organization_scopes,
            organization_scopes.c.id == organization_role_scopes.c.organization_scope_id,
        )
        .where(organization_role_scopes.c.organization_role_id.in_(ids))
        .order_by(organization_scopes.c.name)
    ):
        granted[row.organization_role_id].append({"id": row.id, "name": row.name})
    resource_granted: dict[str, list[dict]] = {role_id: [] for role_id in ids}
    link = organization_role_resource_scopes
    for row in conn.execute(
        select(
            link.c.organization_role_id,
            scopes.c.id,
            scopes.c.name,
            resources.c.id.label("resource_id"),
            resources.c.name.label("resource_name"),
        )
        .join(scopes, scopes.c.id == link.c.scope_id)
        .join(resources, resources.c.id == scopes.c.resource_id)
        .where(link.c.organization_role_id.in_(ids))
        .order_by(scopes.c.name)
    ):
        resource_granted[row.organization_role_id].append(
            {
                "id": row.id,
                "name": row.name,
                "resource": {"id": row.resource_id, "name": row.resource_name},
            }
        )
    items = [
        organization_role_json(row)
        | {"scopes": granted[row.id], "resourceScopes": resource_granted[row.id]}
        for row in rows
    ]
    return items, total


def create_organization_role(
    conn: Connection,
    ctx: Context,
    fields: dict[str, Any],
    scope_ids: list[str],
    resource_scope_ids: list[str],
) -> dict[str, Any]:
    """`OrganizationRole.Created`, and the `OrganizationRole.Scopes.Updated` Logto adds by
    hand when the role starts with scopes of either kind."""
    role_id = random_id()
    with integrity():
        conn.execute(insert(organization_roles).values(id=role_id, created_at=now_ms(), **fields))
        _link(conn, *ORGANIZATION_SCOPES, role_id, scope_ids)
        _link(conn, *RESOURCE_SCOPES, role_id, resource_scope_ids)
    role = get_organization_role(conn, role_id)
    emit_change(conn, ctx, "OrganizationRole.Created", role)
    if scope_ids or resource_scope_ids:
        emit_change(conn, ctx, SCOPES_UPDATED, organizationRoleId=role_id)
    return role


def update_organization_role(
    conn: Connection, ctx: Context, role_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    with integrity():
        role = organization_role_json(update_row(conn, organization_roles, role_id, fields))
    emit_change(conn, ctx, "OrganizationRole.Data.Updated", role)
    return role


def delete_organization_role(conn: Connection, ctx: Context, role_id: str) -> None:
    delete_row(conn, organization_roles, role_id)
    emit_change(conn, ctx, "OrganizationRole.Deleted")


# ---- the role's organization scopes: `OrganizationRole.Scopes.Updated`, no data -------------


def list_role_scopes(
    conn: Connection, role_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    require_row(conn, organization_roles, role_id)
    query = (
        select(organization_scopes)
        .join(
            organization_role_scopes,
            organization_role_scopes.c.organization_scope_id == organization_scopes.c.id,
        )
        .where(organization_role_scopes.c.organization_role_id == role_id)
        .order_by(organization_scopes.c.created_at, organization_scopes.c.id)
    )
    rows, total = page(conn, query, paging)
    return [organization_scope_json(row) for row in rows], total


def add_role_scopes(conn: Connection, ctx: Context, role_id: str, scope_ids: list[str]) -> None:
    """Grant scopes; ones already granted are kept as they are."""
    _grant(conn, ORGANIZATION_SCOPES, role_id, scope_ids)
    emit_change(conn, ctx, SCOPES_UPDATED)


def replace_role_scopes(conn: Connection, ctx: Context, role_id: str, scope_ids: list[str]) -> None:
    _replace(conn, ORGANIZATION_SCOPES, role_id, scope_ids)
    emit_change(conn, ctx, SCOPES_UPDATED)


def remove_role_scope(conn: Connection, ctx: Context, role_id: str, scope_id: str) -> None:
    _revoke(conn, ORGANIZATION_SCOPES, role_id, scope_id)
    emit_change(conn, ctx, SCOPES_UPDATED)


# ---- the role's resource scopes: Logto's event table has no entry for their routes, so they
# fire nothing ----------------------------------------------------------------------------------


def list_role_resource_scopes(
    conn: Connection, role_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """The resource scopes a role grants, as Logto's scope rows; oldest scope first (the link
    table has no insertion order on PostgreSQL)."""
    require_row(conn, organization_roles, role_id)
    link = organization_role_resource_scopes
    query = (
        select(scopes)
        .join(link, link.c.scope_id == scopes.c.id)
        .where(link.c.organization_role_id == role_id)
        .order_by(scopes.c.created_at, scopes.c.id)
    )
    rows, total = page(conn, query, paging)
    return [scope_json(row) for row in rows], total


def add_role_resource_scopes(
    conn: Connection, ctx: Context, role_id: str, scope_ids: list[str]
) -> None:
    _grant(conn, RESOURCE_SCOPES, role_id, scope_ids)


def replace_role_resource_scopes(
    conn: Connection, ctx: Context, role_id: str, scope_ids: list[str]
) -> None:
    _replace(conn, RESOURCE_SCOPES, role_id, scope_ids)


def remove_role_resource_scope(conn: Connection, ctx: Context, role_id: str, scope_id: str) -> None:
    _revoke(conn, RESOURCE_SCOPES, role_id, scope_id)


# ---- either kind ------------------------------------------------------------------------------


def _link(conn: Connection, link: Any, column: str, role_id: str, ids: list[str]) -> None:
    if ids:
        conn.execute(
            insert_or_ignore(conn, link),
            [{"organization_role_id": role_id, column: scope_id} for scope_id in unique(ids)],
        )


def _require_role(conn: Connection, role_id: str) -> None:
    """Linking to a missing role breaks a foreign key in Logto: 422."""
    row = conn.execute(
        select(organization_roles.c.id).where(organization_roles.c.id == role_id)
    ).first()
    if row is None:
        raise foreign_key_not_found()


def _grant(conn: Connection, grant: Grant, role_id: str, scope_ids: list[str]) -> None:
    _require_role(conn, role_id)
    with integrity():
        _link(conn, *grant, role_id, scope_ids)


def _replace(conn: Connection, grant: Grant, role_id: str, scope_ids: list[str]) -> None:
    link, _ = grant
    _require_role(conn, role_id)
    conn.execute(delete(link).where(link.c.organization_role_id == role_id))
    with integrity():
        _link(conn, *grant, role_id, scope_ids)


def _revoke(conn: Connection, grant: Grant, role_id: str, scope_id: str) -> None:
    link, column = grant
    result = conn.execute(
        delete(link).where(link.c.organization_role_id == role_id, link.c[column] == scope_id)
    )
    if result.rowcount == 0:
        raise relation_not_found()
