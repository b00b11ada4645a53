"""API resources and their scopes, as Logto's Management API shows them.

SQL on the caller's connection; nothing here commits. Writes take the request's Context, as
every identity write does; Logto fires events only for scopes, never for resources.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from hookline.config import MANAGEMENT_API_RESOURCE
from hookline.db.sql import insertion_order
from hookline.db.tables import resources, scopes
from hookline.errors import ApiError, not_exists_with_id
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.rows import Paging, get_row, page, relation_not_found, update_row
from hookline.ids import now_ms, random_id


def resource_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "indicator": row.indicator,
        "isDefault": bool(row.is_default),
        "accessTokenTtl": row.access_token_ttl,
    }


def scope_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "resourceId": row.resource_id,
        "name": row.name,
        "description": row.description,
        "createdAt": row.created_at,
    }


def get_resource(conn: Connection, resource_id: str) -> Row:
    return get_row(conn, resources, resource_id)


def _changeable(row: Row) -> Row:
    """The Management API's resource and its `all` scope are fixed, as in Logto."""
    if row.indicator == MANAGEMENT_API_RESOURCE:
        raise ApiError(
            400, "resource.cannot_modify_management_api", "Cannot modify Logto Management API."
        )
    return row


def create_resource(
    conn: Connection, ctx: Context, name: str, indicator: str, access_token_ttl: int | None
) -> dict[str, Any]:
    """A new resource (never the default one), with `scopes: []` as Logto answers."""
    taken = conn.execute(select(resources.c.id).where(resources.c.indicator == indicator)).first()
    # The Management API's own indicator is taken in Logto by its built-in resource.
    if taken is not None or indicator == MANAGEMENT_API_RESOURCE:
        raise ApiError(
            422,
            "resource.resource_identifier_in_use",
            f"The API identifier {indicator} is already in use",
        )
    resource_id = random_id()
    values: dict[str, Any] = {"id": resource_id, "name": name, "indicator": indicator}
    if access_token_ttl is not None:
        values["access_token_ttl"] = access_token_ttl
    conn.execute(insert(resources).values(**values))
    return {**resource_json(get_resource(conn, resource_id)), "scopes": []}


def list_resources(
    conn: Connection, include_scopes: bool, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    rows, total = page(conn, select(resources).order_by(insertion_order(resources)), paging)
    items = [resource_json(row) for row in rows]
    if include_scopes:
        by_resource: dict[str, list[dict[str, Any]]] = {item["id"]: [] for item in items}
        query = select(scopes).where(scopes.c.resource_id.in_(by_resource))
        for scope in conn.execute(query.order_by(scopes.c.created_at, insertion_order(scopes))):
            by_resource[scope.resource_id].append(scope_json(scope))
        items = [{**item, "scopes": by_resource[item["id"]]} for item in items]
    return items, total


def update_resource(
    conn: Connection, ctx: Context, resource_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """`changes` holds `name` and/or `access_token_ttl`; Logto lets neither indicator nor
    isDefault change here (see `set_default`)."""
    _changeable(get_resource(conn, resource_id))
    return resource_json(update_row(conn, resources, resource_id, changes))


def set_default(
    conn: Connection, ctx: Context, resource_id: str, is_default: bool
) -> dict[str, Any]:
    """Logto allows at most one default resource: making one the default unsets the others, in
    the same transaction."""
    if conn.execute(select(resources.c.id).where(resources.c.id == resource_id)).first() is None:
        # Logto's failed update (`UpdateError`), not the `not_exists_with_id` of a lookup.
        raise ApiError(404, "entity.not_exists", "The resource does not exist.")
    if is_default:
        conn.execute(
            update(resources).where(resources.c.is_default.is_(True)).values(is_default=False)
        )
    conn.execute(
        update(resources).where(resources.c.id == resource_id).values(is_default=is_default)
    )
    return resource_json(get_resource(conn, resource_id))


def delete_resource(conn: Connection, ctx: Context, resource_id: str) -> None:
    """Its scopes, and their role assignments, go with it (foreign keys cascade)."""
    if get_resource(conn, resource_id).indicator == MANAGEMENT_API_RESOURCE:
        raise ApiError(
            400, "resource.cannot_delete_management_api", "Cannot delete Logto Management API."
        )
    conn.execute(delete(resources).where(resources.c.id == resource_id))


# Scopes of a resource.

_SPACE = re.compile(r"\s")


def _check_scope_name(conn: Connection, resource_id: str, name: str, own_id: str = "") -> None:
    if _SPACE.search(name):
        raise ApiError(
            400, "scope.name_with_space", "The name of the scope cannot contain any spaces."
        )
    clash = conn.execute(
        select(scopes.c.id).where(
            scopes.c.resource_id == resource_id, scopes.c.name == name, scopes.c.id != own_id
        )
    ).first()
    if clash is not None:
        raise ApiError(422, "scope.name_exists", f"The scope name {name} is already in use")


def list_scopes(
    conn: Connection, resource_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """A resource's scopes, oldest first; an unknown resource simply has none (as Logto)."""
    query = select(scopes).where(scopes.c.resource_id == resource_id)
    rows, total = page(conn, query.order_by(scopes.c.created_at, insertion_order(scopes)), paging)
    return [scope_json(row) for row in rows], total


def create_scope(
    conn: Connection, ctx: Context, resource_id: str, name: str, description: str | None
) -> dict[str, Any]:
    """`Scope.Created`."""
    _changeable(get_resource(conn, resource_id))
    _check_scope_name(conn, resource_id, name)
    scope_id = random_id()
    conn.execute(
        insert(scopes).values(
            id=scope_id,
            resource_id=resource_id,
            name=name,
            description=description,
            created_at=now_ms(),
        )
    )
    scope = scope_json(get_row(conn, scopes, scope_id))
    emit_change(conn, ctx, "Scope.Created", scope)
    return scope


def update_scope(
    conn: Connection, ctx: Context, resource_id: str, scope_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """`changes` holds `name` and/or `description`: `Scope.Data.Updated`."""
    _changeable(get_resource(conn, resource_id))
    if "name" in changes:
        _check_scope_name(conn, resource_id, changes["name"], scope_id)
    if get_row(conn, scopes, scope_id).resource_id != resource_id:
        raise not_exists_with_id("scopes", scope_id)
    scope = scope_json(update_row(conn, scopes, scope_id, changes))
    emit_change(conn, ctx, "Scope.Data.Updated", scope)
    return scope


def delete_scope(conn: Connection, ctx: Context, resource_id: str, scope_id: str) -> None:
    """Its role assignments go with it: `Scope.Deleted`, without data."""
    _changeable(get_resource(conn, resource_id))
    gone = conn.execute(
        delete(scopes).where(scopes.c.id == scope_id, scopes.c.resource_id == resource_id)
    )
    if gone.rowcount == 0:
        raise relation_not_found()
    emit_change(conn, ctx, "Scope.Deleted")
