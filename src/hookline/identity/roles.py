"""Roles and the API resource scopes they grant, as Logto's Management API shows them.

SQL on the caller's connection; nothing here commits. Each write emits its events in the
caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Table, delete, func, insert, select

from hookline.auth.access import access_changed
from hookline.db.sql import insertion_order
from hookline.db.tables import (
    applications,
    applications_roles,
    resources,
    roles,
    roles_scopes,
    scopes,
    users,
    users_roles,
)
from hookline.errors import ApiError
from hookline.events.context import Context
from hookline.identity.changes import emit_change
from hookline.identity.resources import resource_json, scope_json
from hookline.identity.rows import (
    Paging,
    delete_row,
    get_row,
    page,
    relation_not_found,
    require_row,
    unique,
    update_row,
)
from hookline.ids import now_ms, random_id

# Logto's list features at most this many users (and applications) per role.
FEATURED = 3


def role_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": row.type,
        "isDefault": bool(row.is_default),
    }


def get_role(conn: Connection, role_id: str) -> Row:
    return get_row(conn, roles, role_id)


def _check_name(conn: Connection, name: str, own_id: str = "") -> None:
    clash = conn.execute(
        select(roles.c.id).where(roles.c.name == name, roles.c.id != own_id)
    ).first()
    if clash is not None:
        raise ApiError(422, "role.name_in_use", f"This role name {name} is already in use")


def create_role(
    conn: Connection,
    ctx: Context,
    name: str,
    description: str,
    role_type: str,
    is_default: bool,
    scope_ids: list[str] | None,
) -> dict[str, Any]:
    """`Role.Created`; with `scope_ids` (even empty, as in Logto) first a hand-made
    `Role.Scopes.Updated` carrying `roleId` and the scopes given, as Logto's handler adds it
    before the route's event."""
    _check_name(conn, name)
    role_id = random_id()
    conn.execute(
        insert(roles).values(
            id=role_id,
            name=name,
            description=description,
            type=role_type,
            is_default=is_default,
            created_at=now_ms(),
        )
    )
    if scope_ids is not None:
        _assign_scopes(conn, role_id, scope_ids)
        assigned = _scopes_by_ids(conn, scope_ids)
        emit_change(conn, ctx, "Role.Scopes.Updated", assigned, roleId=role_id)
    role = role_json(get_role(conn, role_id))
    emit_change(conn, ctx, "Role.Created", role)
    return role


def list_roles(
    conn: Connection, role_type: str | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, each with how many users and applications hold it, and up to three of
    each."""
    query = select(roles)
    if role_type is not None:
        query = query.where(roles.c.type == role_type)
    rows, total = page(
        conn, query.order_by(roles.c.created_at.desc(), insertion_order(roles).desc()), paging
    )
    role_ids = [row.id for row in rows]
    users_count, featured_users = _holders(
        conn, users_roles, users, ("id", "avatar", "name"), role_ids
    )
    apps_count, featured_apps = _holders(
        conn,
        applications_roles,
        applications,
        ("id", "name", "type"),
        role_ids,
        applications.c.is_bootstrap.is_(False),  # hidden, as everywhere in the API
    )
    items = [
        {
            **role_json(row),
            "usersCount": users_count.get(row.id, 0),
            "featuredUsers": featured_users[row.id],
            "applicationsCount": apps_count.get(row.id, 0),
            "featuredApplications": featured_apps[row.id],
        }
        for row in rows
    ]
    return items, total


def _holders(
    conn: Connection,
    link: Table,
    holders: Table,
    shown: tuple[str, ...],
    role_ids: list[str],
    *visible: ColumnElement[bool],
) -> tuple[dict[str, int], dict[str, list[dict[str, Any]]]]:
    """Per role: how many of `holders` (users, applications) hold it through `link`, and the
    first three of them, with their `shown` fields."""
    holder = next(column for column in link.c if column.references(holders.c.id))
    joined = link.join(holders, holders.c.id == holder)
    held = (link.c.role_id.in_(role_ids), *visible)
    counts: dict[str, int] = dict(
        conn.execute(
            select(link.c.role_id, func.count())
            .select_from(joined)
            .where(*held)
            .group_by(link.c.role_id)
        ).all()
    )
    featured: dict[str, list[dict[str, Any]]] = {role_id: [] for role_id in role_ids}
    query = select(link.c.role_id, *(holders.c[name] for name in shown)).select_from(joined)
    for member in conn.execute(query.where(*held).order_by(link.c.role_id, insertion_order(link))):
        if len(featured[member[0]]) < FEATURED:
            featured[member[0]].append(dict(zip(shown, member[1:], strict=True)))
    return counts, featured


def update_role(
    conn: Connection, ctx: Context, role_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """`changes` holds `name`, `description` and/or `is_default`: `Role.Data.Updated`."""
    require_row(conn, roles, role_id)
    if "name" in changes:
        _check_name(conn, changes["name"], role_id)
    role = role_json(update_row(conn, roles, role_id, changes))
    emit_change(conn, ctx, "Role.Data.Updated", role)
    return role


def delete_role(conn: Connection, ctx: Context, role_id: str) -> None:
    """Its scope and user assignments go with it (foreign keys cascade): `Role.Deleted`,
    without data."""
    delete_row(conn, roles, role_id)
    access_changed(conn)
    emit_change(conn, ctx, "Role.Deleted")


# The role's scopes.


def _scope_ids_of(conn: Connection, role_id: str) -> list[str]:
    query = select(roles_scopes.c.scope_id).where(roles_scopes.c.role_id == role_id)
    return list(conn.execute(query.order_by(insertion_order(roles_scopes))).scalars())


def _scopes_by_ids(conn: Connection, scope_ids: list[str]) -> list[dict[str, Any]]:
    """Oldest scope first (Logto answers in whatever order Postgres finds the rows)."""
    query = select(scopes).where(scopes.c.id.in_(scope_ids))
    return [
        scope_json(row)
        for row in conn.execute(query.order_by(scopes.c.created_at, insertion_order(scopes)))
    ]


def _assign_scopes(conn: Connection, role_id: str, scope_ids: list[str]) -> None:
    """Give the role more scopes: each must exist and not be the role's already."""
    assigned = set(_scope_ids_of(conn, role_id))
    for scope_id in scope_ids:
        if scope_id in assigned:
            raise ApiError(
                422,
                "role.scope_exists",
                f"The scope id {scope_id} has already been added to this role",
            )
    for scope_id in scope_ids:
        require_row(conn, scopes, scope_id)
    fresh = unique(scope_ids)
    if fresh:
        conn.execute(insert(roles_scopes), [{"role_id": role_id, "scope_id": sid} for sid in fresh])
        access_changed(conn)


def add_role_scopes(
    conn: Connection, ctx: Context, role_id: str, scope_ids: list[str]
) -> list[dict[str, Any]]:
    """Assign scopes: answers (and `Role.Scopes.Updated` carries) all of the role's scopes,
    as Logto does."""
    require_row(conn, roles, role_id)
    _assign_scopes(conn, role_id, scope_ids)
    role_scopes = _scopes_by_ids(conn, _scope_ids_of(conn, role_id))
    emit_change(conn, ctx, "Role.Scopes.Updated", role_scopes)
    return role_scopes


def list_role_scopes(
    conn: Connection, role_id: str, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """The role's scopes, each with its `resource`, oldest first."""
    require_row(conn, roles, role_id)
    query = (
        select(scopes)
        .join(roles_scopes, roles_scopes.c.scope_id == scopes.c.id)
        .where(roles_scopes.c.role_id == role_id)
        .order_by(scopes.c.created_at, scopes.c.id)
    )
    rows, total = page(conn, query, paging)
    owners = conn.execute(
        select(resources).where(resources.c.id.in_({row.resource_id for row in rows}))
    )
    by_id = {owner.id: resource_json(owner) for owner in owners}
    return [{**scope_json(row), "resource": by_id[row.resource_id]} for row in rows], total


def remove_role_scope(conn: Connection, ctx: Context, role_id: str, scope_id: str) -> None:
    """`Role.Scopes.Updated`, without data. Logto checks neither the role nor the scope: a
    missing pair is `entity.not_found`."""
    gone = conn.execute(
        delete(roles_scopes).where(
            roles_scopes.c.role_id == role_id, roles_scopes.c.scope_id == scope_id
        )
    )
    if gone.rowcount == 0:
        raise relation_not_found()
    access_changed(conn)
    emit_change(conn, ctx, "Role.Scopes.Updated")
