"""Applications, as Logto's Management API shows them.

Only a hash of each client secret is stored (hookline.auth.applications.hash_secret), so the
secret itself is answered once, on creation. The bootstrap applications stay hidden: the
Management API can neither see nor change the credentials it was set up with. Machine-to-machine
applications hold roles, which give them scopes on API resources (the Management API's among
them: hookline.auth.access). Logto fires no events for applications: the writes take the
request's Context as every identity write does, and emit nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, true

from hookline.auth.access import access_changed
from hookline.auth.applications import hash_secret
from hookline.db.sql import insertion_order
from hookline.db.tables import applications
from hookline.errors import ApiError, not_exists_with_id
from hookline.events.context import Context
from hookline.identity.role_holders import APPLICATIONS
from hookline.identity.roles import role_json
from hookline.identity.rows import Paging, page, update_row
from hookline.ids import client_secret, now_ms, random_id

TYPES = ("Native", "SPA", "Traditional", "MachineToMachine")


def application_json(row: Any, secret: str | None = None) -> dict[str, Any]:
    """Logto's shape and key order; `secret` only when it was just generated."""
    body: dict[str, Any] = {"tenantId": row.tenant_id, "id": row.id, "name": row.name}
    if secret is not None:
        body["secret"] = secret
    body |= {
        "description": row.description,
        "type": row.type,
        "oidcClientMetadata": row.oidc_client_metadata,
        # Not stored by hookline: Logto's defaults.
        "customClientMetadata": {},
        "protectedAppMetadata": None,
        "customData": row.custom_data,
        "isThirdParty": False,
        "createdAt": row.created_at,
    }
    return body


def application_detail_json(row: Any) -> dict[str, Any]:
    """One application as its own answer: with `isAdmin` (always false here), as Logto."""
    return {**application_json(row), "isAdmin": False}


def _visible() -> Any:
    return applications.c.is_bootstrap.is_(False)


def get_application(conn: Connection, app_id: str) -> Row:
    row = conn.execute(select(applications).where(applications.c.id == app_id, _visible())).first()
    if row is None:
        raise not_exists_with_id("applications", app_id)
    return row


def create_application(
    conn: Connection,
    ctx: Context,
    name: str,
    app_type: str,
    description: str | None,
    oidc_client_metadata: dict[str, Any] | None,
    custom_data: dict[str, Any] | None,
) -> dict[str, Any]:
    app_id, secret = random_id(), client_secret()
    metadata = {"redirectUris": [], "postLogoutRedirectUris": [], **(oidc_client_metadata or {})}
    conn.execute(
        insert(applications).values(
            id=app_id,
            name=name,
            description=description,
            type=app_type,
            secret_hash=hash_secret(secret),
            is_bootstrap=False,
            created_at=now_ms(),
            custom_data=custom_data or {},
            oidc_client_metadata=metadata,
        )
    )
    return application_json(get_application(conn, app_id), secret)


def list_applications(
    conn: Connection, types: list[str] | None, paging: Paging
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, optionally only of some `types`."""
    query = select(applications).where(_visible())
    if types:
        query = query.where(applications.c.type.in_(types))
    order = (applications.c.created_at.desc(), insertion_order(applications).desc())
    rows, total = page(conn, query.order_by(*order), paging)
    return [application_json(row) for row in rows], total


def update_application(
    conn: Connection, ctx: Context, app_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """`changes` holds columns; JSON ones replace the stored value whole, as Logto's PATCH."""
    get_application(conn, app_id)
    return application_json(update_row(conn, applications, app_id, changes))


def delete_application(conn: Connection, ctx: Context, app_id: str) -> None:
    get_application(conn, app_id)
    conn.execute(delete(applications).where(applications.c.id == app_id))
    access_changed(conn)


# Roles, of machine-to-machine applications only.


def _machine(conn: Connection, app_id: str) -> None:
    if get_application(conn, app_id).type != "MachineToMachine":
        raise ApiError(
            422,
            "application.invalid_type",
            "Only machine to machine applications can have associated roles.",
        )


def list_application_roles(
    conn: Connection, app_id: str, page: int, size: int
) -> tuple[list[dict[str, Any]], int]:
    _machine(conn, app_id)
    rows, total = APPLICATIONS.page(conn, app_id, true(), page, size)
    return [role_json(row) for row in rows], total


def add_application_roles(
    conn: Connection, ctx: Context, app_id: str, role_ids: list[str]
) -> list[str]:
    _machine(conn, app_id)
    access_changed(conn)
    return APPLICATIONS.add(conn, app_id, role_ids)


def replace_application_roles(
    conn: Connection, ctx: Context, app_id: str, role_ids: list[str]
) -> None:
    _machine(conn, app_id)
    access_changed(conn)
    APPLICATIONS.replace(conn, app_id, role_ids)


def remove_application_role(conn: Connection, ctx: Context, app_id: str, role_id: str) -> None:
    _machine(conn, app_id)
    access_changed(conn)
    APPLICATIONS.remove(conn, app_id, role_id)
