"""`/api/roles`: Logto's Management API for roles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import Field, StrictBool, StrictStr

from hookline.api.bodies import Body, JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON
from hookline.identity import roles
from hookline.identity.roles import role_json

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
    """Create a role (200, as Logto)."""
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: roles.create_role(
                conn, ctx, body.name, body.description, body.type, body.isDefault, body.scopeIds
            ),
        )
    )


@router.get("/roles/{id}")
async def get_role(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: role_json(roles.get_role(conn, id))))


@router.patch("/roles/{id}")
async def update_role(id: str, body: RoleUpdate, request: Request) -> Any:
    """Change a role's name, description or isDefault."""
    changes = body.changes(ROLE_COLUMNS)
    return JSON(
        await commit(request, 200, lambda conn, ctx: roles.update_role(conn, ctx, id, changes))
    )


@router.delete("/roles/{id}", status_code=204)
async def delete_role(id: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: roles.delete_role(conn, ctx, id))
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
    """Assign scopes: answers all the role's scopes."""
    scope_ids = body.scopeIds
    all_scopes = await commit(
        request, 201, lambda conn, ctx: roles.add_role_scopes(conn, ctx, id, scope_ids)
    )
    return JSON(all_scopes, status_code=201)


@router.delete("/roles/{id}/scopes/{scopeId}", status_code=204)
async def remove_role_scope(id: str, scopeId: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: roles.remove_role_scope(conn, ctx, id, scopeId))
    return Response(status_code=204)
