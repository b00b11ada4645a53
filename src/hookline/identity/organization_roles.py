"""Organization roles and the organization scopes (and resource scopes) they grant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hookline.db.sql import insert_or_ignore
from hookline.db.tables import (
    organization_role_resource_scopes,
    organization_role_scopes,
    organization_roles,
    organization_scopes,
    resources,
    scopes,
)
from hookline.errors import foreign_key_not_found, not_exists_with_id
from hookline.identity import organization_scopes as org_scopes
from hookline.identity.organizations import (
    Paging,
    integrity,
    page,
    relation_not_found,
    require_existing,
    search,
    unique,
)
from hookline.identity.resources import scope_json
from hookline.ids import now_ms, random_id

TABLE = "organization_roles"

# The two scope kinds a role grants: (link table, its scope column). Logto serves both through
# the same relation routes (`/scopes` and `/resource-scopes`), so they share the code.
Grant = tuple[Any, str]
ORGANIZATION_SCOPES: Grant = (organization_role_scopes, "organization_scope_id")
RESOURCE_SCOPES: Grant = (organization_role_resource_scopes, "scope_id")


def to_api(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": row.type,
    }


def create(
    conn: Connection, fields: dict[str, Any], scope_ids: list[str], resource_scope_ids: list[str]
) -> dict[str, Any]:
    """A role, with its initial organization scopes and resource scopes."""
    role_id = random_id()
    with integrity():
        conn.execute(insert(organization_roles).values(id=role_id, created_at=now_ms(), **fields))
        _link(conn, *ORGANIZATION_SCOPES, role_id, scope_ids)
        _link(conn, *RESOURCE_SCOPES, role_id, resource_scope_ids)
    return get(conn, role_id)


def _link(conn: Connection, link: Any, column: str, role_id: str, ids: list[str]) -> None:
    if ids:
        conn.execute(
            insert_or_ignore(conn, link),
            [{"organization_role_id": role_id, column: scope_id} for scope_id in unique(ids)],
        )


def get(conn: Connection, role_id: str) -> dict[str, Any]:
    row = conn.execute(select(organization_roles).where(organization_roles.c.id == role_id)).first()
    if row is None:
        raise not_exists_with_id(TABLE, role_id)
    return to_api(row)


def list_roles(conn: Connection, q: str | None, paging: Paging) -> tuple[list[dict[str, Any]], int]:
    """Roles with their `scopes` and `resourceScopes`, as Logto lists them."""
    query = select(organization_roles).order_by(
        organization_roles.c.created_at, organization_roles.c.id
    )
    if q:
        query = query.where(search(organization_roles.c.name, q))
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
        to_api(row) | {"scopes": granted[row.id], "resourceScopes": resource_granted[row.id]}
        for row in rows
    ]
    return items, total


def patch(conn: Connection, role_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    get(conn, role_id)
    if fields:
        with integrity():
            conn.execute(
                update(organization_roles)
                .where(organization_roles.c.id == role_id)
                .values(**fields)
            )
    return get(conn, role_id)


def remove(conn: Connection, role_id: str) -> None:
    result = conn.execute(delete(organization_roles).where(organization_roles.c.id == role_id))
    if result.rowcount == 0:
        raise not_exists_with_id(TABLE, role_id)


# ---- the role's organization scopes and resource scopes --------------------------------------


def list_scopes(conn: Connection, role_id: str, paging: Paging) -> tuple[list[dict[str, Any]], int]:
    require_existing(conn, organization_roles, role_id, TABLE)
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
    return [org_scopes.to_api(row) for row in rows], total


def list_resource_scopes(
    conn: Connection, role_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """The resource scopes a role grants, as Logto's scope rows; oldest scope first (the link
    table has no insertion order on PostgreSQL)."""
    require_existing(conn, organization_roles, role_id, TABLE)
    link = organization_role_resource_scopes
    query = (
        select(scopes)
        .join(link, link.c.scope_id == scopes.c.id)
        .where(link.c.organization_role_id == role_id)
        .order_by(scopes.c.created_at, scopes.c.id)
    )
    rows, total = page(conn, query, paging)
    return [scope_json(row) for row in rows], total


def _require_role(conn: Connection, role_id: str) -> None:
    """Linking to a missing role breaks a foreign key in Logto: 422."""
    if (
        conn.execute(
            select(organization_roles.c.id).where(organization_roles.c.id == role_id)
        ).first()
        is None
    ):
        raise foreign_key_not_found()


def add_scopes(
    conn: Connection, role_id: str, scope_ids: list[str], grant: Grant = ORGANIZATION_SCOPES
) -> None:
    """Grant scopes; ones already granted are kept as they are."""
    _require_role(conn, role_id)
    with integrity():
        _link(conn, *grant, role_id, scope_ids)


def replace_scopes(
    conn: Connection, role_id: str, scope_ids: list[str], grant: Grant = ORGANIZATION_SCOPES
) -> None:
    link, _ = grant
    _require_role(conn, role_id)
    conn.execute(delete(link).where(link.c.organization_role_id == role_id))
    with integrity():
        _link(conn, *grant, role_id, scope_ids)


def remove_scope(
    conn: Connection, role_id: str, scope_id: str, grant: Grant = ORGANIZATION_SCOPES
) -> None:
    link, column = grant
    result = conn.execute(
        delete(link).where(link.c.organization_role_id == role_id, link.c[column] == scope_id)
    )
    if result.rowcount == 0:
        raise relation_not_found()
