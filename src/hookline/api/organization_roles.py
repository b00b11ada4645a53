"""`/api/organization-roles`: Logto's Management API for organization roles and the organization
scopes and resource scopes they grant."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hookline.api.bodies import JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep
from hookline.api.paging import Paged, paged
from hookline.api.responses import JSON, created
from hookline.identity import organization_roles as roles

router = APIRouter(tags=["organization roles"], route_class=JSONRoute)

Name = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Description = Annotated[StrictStr, Field(max_length=256)] | None
RoleType = Literal["User", "MachineToMachine"]
Id = Annotated[StrictStr, Field(min_length=1)]


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    description: Description = None
    type: RoleType = "User"
    organizationScopeIds: list[StrictStr] = Field(default_factory=list)
    resourceScopeIds: list[StrictStr] = Field(default_factory=list)


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name = None  # type: ignore[assignment]
    description: Description = None
    type: RoleType = None  # type: ignore[assignment]


class ScopeIds(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organizationScopeIds: Annotated[list[Id], Field(min_length=1)]


class ScopeIdsReplace(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organizationScopeIds: list[Id]


class ResourceScopeIds(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scopeIds: Annotated[list[Id], Field(min_length=1)]


class ResourceScopeIdsReplace(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scopeIds: list[Id]


@router.get("/organization-roles")
async def list_roles(request: Request, rt: RuntimeDep, page: Paged, q: str | None = None) -> Any:
    """Roles with the scopes and resource scopes they grant."""
    items, total = await rt.read(lambda conn: roles.list_organization_roles(conn, q, page))
    return paged(request, items, total, page)


@router.post("/organization-roles", status_code=201)
async def create_role(body: RoleCreate, request: Request) -> Any:
    fields = body.model_dump(include={"name", "description", "type"})
    scope_ids, resource_scope_ids = body.organizationScopeIds, body.resourceScopeIds
    role = await commit(
        request,
        201,
        lambda conn, ctx: roles.create_organization_role(
            conn, ctx, fields, scope_ids, resource_scope_ids
        ),
    )
    return JSON(role, status_code=201)


@router.get("/organization-roles/{id}")
async def get_role(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: roles.get_organization_role(conn, id)))


@router.patch("/organization-roles/{id}")
async def update_role(id: str, body: RoleUpdate, request: Request) -> Any:
    fields = body.model_dump(exclude_unset=True)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: roles.update_organization_role(conn, ctx, id, fields)
        )
    )


@router.delete("/organization-roles/{id}", status_code=204)
async def delete_role(id: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: roles.delete_organization_role(conn, ctx, id))
    return Response(status_code=204)


@router.get("/organization-roles/{id}/scopes")
async def list_role_scopes(id: str, request: Request, rt: RuntimeDep, page: Paged) -> Any:
    items, total = await rt.read(lambda conn: roles.list_role_scopes(conn, id, page))
    return paged(request, items, total, page)


@router.post("/organization-roles/{id}/scopes", status_code=201)
async def add_role_scopes(id: str, body: ScopeIds, request: Request) -> Response:
    """Grant scopes (already granted ones are kept); the event carries no data."""
    scope_ids = body.organizationScopeIds
    await commit(request, 201, lambda conn, ctx: roles.add_role_scopes(conn, ctx, id, scope_ids))
    return created()


@router.put("/organization-roles/{id}/scopes", status_code=204)
async def replace_role_scopes(id: str, body: ScopeIdsReplace, request: Request) -> Response:
    scope_ids = body.organizationScopeIds
    await commit(
        request, 204, lambda conn, ctx: roles.replace_role_scopes(conn, ctx, id, scope_ids)
    )
    return Response(status_code=204)


@router.delete("/organization-roles/{id}/scopes/{organizationScopeId}", status_code=204)
async def remove_role_scope(id: str, organizationScopeId: str, request: Request) -> Response:
    await commit(
        request,
        204,
        lambda conn, ctx: roles.remove_role_scope(conn, ctx, id, organizationScopeId),
    )
    return Response(status_code=204)


@router.get("/organization-roles/{id}/resource-scopes")
async def list_role_resource_scopes(id: str, request: Request, rt: RuntimeDep, page: Paged) -> Any:
    items, total = await rt.read(lambda conn: roles.list_role_resource_scopes(conn, id, page))
    return paged(request, items, total, page)


@router.post("/organization-roles/{id}/resource-scopes", status_code=201)
async def add_role_resource_scopes(id: str, body: ResourceScopeIds, request: Request) -> Response:
    scope_ids = body.scopeIds
    await commit(
        request,
        201,
        lambda conn, ctx: roles.add_role_resource_scopes(conn, ctx, id, scope_ids),
    )
    return created()


@router.put("/organization-roles/{id}/resource-scopes", status_code=204)
async def replace_role_resource_scopes(
    id: str, body: ResourceScopeIdsReplace, request: Request
) -> Response:
    scope_ids = body.scopeIds
    await commit(
        request,
        204,
        lambda conn, ctx: roles.replace_role_resource_scopes(conn, ctx, id, scope_ids),
    )
    return Response(status_code=204)


@router.delete("/organization-roles/{id}/resource-scopes/{scopeId}", status_code=204)
async def remove_role_resource_scope(id: str, scopeId: str, request: Request) -> Response:
    await commit(
        request,
        204,
        lambda conn, ctx: roles.remove_role_resource_scope(conn, ctx, id, scopeId),
    )
    return Response(status_code=204)
