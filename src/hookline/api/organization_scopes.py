"""`/api/organization-scopes`: Logto's Management API for organization scopes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hookline.api.bodies import JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep
from hookline.api.paging import Paged, paged
from hookline.api.responses import JSON
from hookline.identity import organization_scopes as scopes

router = APIRouter(tags=["organization scopes"], route_class=JSONRoute)

Name = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Description = Annotated[StrictStr, Field(max_length=256)] | None


class ScopeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    description: Description = None


class ScopeUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name = None  # type: ignore[assignment]
    description: Description = None


@router.get("/organization-scopes")
async def list_scopes(request: Request, rt: RuntimeDep, page: Paged, q: str | None = None) -> Any:
    items, total = await rt.read(lambda conn: scopes.list_organization_scopes(conn, q, page))
    return paged(request, items, total, page)


@router.post("/organization-scopes", status_code=201)
async def create_scope(body: ScopeCreate, request: Request) -> Any:
    fields = body.model_dump(exclude_unset=True)
    scope = await commit(
        request, 201, lambda conn, ctx: scopes.create_organization_scope(conn, ctx, fields)
    )
    return JSON(scope, status_code=201)


@router.get("/organization-scopes/{id}")
async def get_scope(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: scopes.get_organization_scope(conn, id)))


@router.patch("/organization-scopes/{id}")
async def update_scope(id: str, body: ScopeUpdate, request: Request) -> Any:
    fields = body.model_dump(exclude_unset=True)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: scopes.update_organization_scope(conn, ctx, id, fields)
        )
    )


@router.delete("/organization-scopes/{id}", status_code=204)
async def delete_scope(id: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: scopes.delete_organization_scope(conn, ctx, id))
    return Response(status_code=204)
