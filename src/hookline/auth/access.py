"""What an application may do with an API resource: the scopes its machine-to-machine roles
hold there. The Management API is such a resource, and its one scope, `all`, opens every route.

Read at `/oidc/token` to grant scopes, and checked again at every Management API request (the
`Gate`), so that an application deleted or stripped of its role loses access at once, in every
process."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, insert, select

from hookline.db import revisions
from hookline.db.reader import Reader
from hookline.db.tables import applications, applications_roles, resources, roles, roles_scopes
from hookline.db.tables import scopes as scopes_table
from hookline.ids import now_ms, random_id

ALL = "all"
# Logto's fixed ids for its Management API resource and scope (seeded by migration 0007).
MANAGEMENT_API_SCOPE_ID = "management-api-all"
ACCESS_ROLE = "Logto Management API access"
ACCESS_ROLE_DESCRIPTION = "This default role grants access to the Logto management API."

_GRANTS = (
    select(scopes_table.c.name)
    .join(resources, resources.c.id == scopes_table.c.resource_id)
    .join(roles_scopes, roles_scopes.c.scope_id == scopes_table.c.id)
    .join(
        roles,
        and_(roles.c.id == roles_scopes.c.role_id, roles.c.type == "MachineToMachine"),
    )
    .join(applications_roles, applications_roles.c.role_id == roles.c.id)
)


@dataclass(frozen=True)
class Grant:
    scopes: set[str]
    ttl: int  # the resource's access token lifetime, in seconds


def grant(conn: Connection, client_id: str, indicator: str) -> Grant | None:
    """What `client_id` holds on the resource `indicator`; None if there is no such
    resource."""
    ttl = conn.execute(
        select(resources.c.access_token_ttl).where(resources.c.indicator == indicator)
    ).scalar()
    if ttl is None:
        return None
    query = _GRANTS.where(
        applications_roles.c.application_id == client_id, resources.c.indicator == indicator
    )
    return Grant(set(conn.execute(query).scalars()), int(ttl))


def may_manage(conn: Connection, client_id: str) -> bool:
    """Whether `client_id` holds `all` on the Management API now."""
    query = _GRANTS.where(
        applications_roles.c.application_id == client_id,
        scopes_table.c.id == MANAGEMENT_API_SCOPE_ID,
    )
    return conn.execute(query.limit(1)).first() is not None


def access_changed(conn: Connection) -> None:
    """Call in a transaction that may change who holds what (applications, their roles, the
    roles' scopes): every process's Gate then forgets what it knew."""
    revisions.bump(conn, "access")


class Gate:
    """Which applications hold `all` on the Management API, remembered per process until the
    `access` revision moves. Whether it moved is looked at every request (a few µs: see
    RevisionWatch), the holders read again only after a change."""

    def __init__(self, engine: Engine, read: Reader) -> None:
        self._read = read
        self._watch = revisions.RevisionWatch(engine, read, "access")
        self._revision: Hashable = None
        self._known: dict[str, bool] = {}

    async def may_manage(self, client_id: str) -> bool:
        revision = await self._watch.current()
        if revision != self._revision:
            # Read before the holders: a change in between makes the next request read again.
            self._known, self._revision = {}, revision
        known = self._known.get(client_id)
        if known is None:
            known = await self._read(lambda conn: may_manage(conn, client_id))
            if len(self._known) < 10_000:  # tokens of unknown clients cannot fill memory
                self._known[client_id] = known
        return known

    async def close(self) -> None:
        await self._watch.close()


def exists(conn: Connection, client_id: str) -> bool:
    """Whether the application is still there (a deleted one's tokens are refused)."""
    query = select(applications.c.id).where(applications.c.id == client_id)
    return conn.execute(query).first() is not None


def grant_management(conn: Connection, client_id: str) -> None:
    """Give `client_id` a role holding `all` on the Management API, unless it has one: the
    oldest such role, or a new one as Logto seeds it when the operator deleted them all."""
    if may_manage(conn, client_id):
        return
    holders = (
        select(roles.c.id)
        .join(roles_scopes, roles_scopes.c.role_id == roles.c.id)
        .where(
            roles.c.type == "MachineToMachine", roles_scopes.c.scope_id == MANAGEMENT_API_SCOPE_ID
        )
        .order_by(roles.c.created_at)
    )
    role_id = conn.execute(holders.limit(1)).scalar()
    if role_id is None:
        role_id = random_id()
        taken = conn.execute(select(roles.c.id).where(roles.c.name == ACCESS_ROLE)).first()
        conn.execute(
            insert(roles).values(
                id=role_id,
                name=f"{ACCESS_ROLE} ({role_id})" if taken else ACCESS_ROLE,
                description=ACCESS_ROLE_DESCRIPTION,
                type="MachineToMachine",
                created_at=now_ms(),
            )
        )
        conn.execute(insert(roles_scopes).values(role_id=role_id, scope_id=MANAGEMENT_API_SCOPE_ID))
    conn.execute(insert(applications_roles).values(application_id=client_id, role_id=role_id))
    access_changed(conn)
