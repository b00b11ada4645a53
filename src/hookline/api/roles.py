"""`/api/roles`: Logto's Management API for roles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field, StrictBool, StrictStr
from sqlalchemy import Connection

from hookline.api.bodies import JSONRoute
from hookline.api.changes import change, emit_change
from hookline.api.deps import RuntimeDep
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.resources import Body
from hookline.api.responses import JSON
from hookline.identity import roles

router = APIRouter(tags=["roles"], route_class=JSONRoute)

RoleName = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Description = Annotated[StrictStr, Field(min_length=1, max_length=128)]
ScopeId = Annotated[StrictStr, Field(min_length=1)]
RoleType = Literal["User", "MachineToMachine"]


class RoleCreate(Body):
    name: RoleName
    description: Description
    type: RoleType = "User"
    isDefault: StrictBool = False
    scopeIds: list[ScopeId] | None = None


class RoleUpdate(Body):
    name: RoleName | None = None
    description: Description | None = None
    isDefault: StrictBool | None = None


ROLE_COLUMNS = {"name": "name", "description": "description", "isDefault": "is_default"}


class RoleScopes(Body):
    scopeIds: Annotated[list[ScopeId], Field(min_length=1)]


@router.get("/roles")
async def list_roles(
    request: Request,
    rt: RuntimeDep,
    page: Paged,
    type: RoleType | None = None,
) -> Any:
    """Roles, newest first, always paginated (20 a page unless told), as Logto."""
    items, total = await rt.read(lambda conn: roles.list_roles(conn, type, page))
    return paged(request, items, total, page)


@router.post("/roles")
async def create_role(body: RoleCreate, request: Request) -> Any:
    """Create a role (200, as Logto): `Role.Created`; with `scopeIds` (even empty, as in
    Logto) also a hand-made `Role.Scopes.Updated` carrying `roleId` and the scopes."""

    def work(conn: Connection) -> Any:
        role, assigned = roles.create_role(
            conn, body.name, body.description, body.type, body.isDefault, body.scopeIds
        )
        # Logto appends this one inside the handler, before the route table's Role.Created.
        if assigned is not None:
            emit_change(conn, request, 200, "Role.Scopes.Updated", data=assigned, roleId=role["id"])
        return role

    return JSON(await change(request, 200, work))


@router.get("/roles/{id}")
async def get_role(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: roles.get_role(conn, id)))


@router.patch("/roles/{id}")
async def update_role(id: str, body: RoleUpdate, request: Request) -> Any:
    """Change a role's name, description or isDefault: `Role.Data.Updated`."""
    role = await change(
        request, 200, lambda conn: roles.update_role(conn, id, body.changes(ROLE_COLUMNS))
    )
    return JSON(role)


@router.delete("/roles/{id}", status_code=204)
async def delete_role(id: str, request: Request) -> Response:
    """Delete a role: `Role.Deleted`, without data."""
    await change(request, 204, lambda conn: roles.delete_role(conn, id))
    return Response(status_code=204)


@router.get("/roles/{id}/scopes")
async def list_role_scopes(
    id: str,
    request: Request,
    rt: RuntimeDep,
    page: MaybePaged,
) -> Any:
    """The role's scopes with their resources; paginated only when asked."""
    items, total = await rt.read(lambda conn: roles.list_role_scopes(conn, id, page))
    return paged(request, items, total, page)


@router.post("/roles/{id}/scopes", status_code=201)
async def add_role_scopes(id: str, body: RoleScopes, request: Request) -> Any:
    """Assign scopes: answers (and `Role.Scopes.Updated` carries) all the role's scopes."""
    all_scopes = await change(
        request, 201, lambda conn: roles.add_role_scopes(conn, id, body.scopeIds)
    )
    return JSON(all_scopes, status_code=201)


@router.delete("/roles/{id}/scopes/{scopeId}", status_code=204)
async def remove_role_scope(id: str, scopeId: str, request: Request) -> Response:
    """Unassign a scope: `Role.Scopes.Updated`, without data."""
    await change(request, 204, lambda conn: roles.remove_role_scope(conn, id, scopeId))
    return Response(status_code=204)
