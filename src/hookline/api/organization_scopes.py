"""`/api/organization-scopes`: Logto's Management API for organization scopes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hookline.api.bodies import JSONRoute
from hookline.api.changes import change
from hookline.api.deps import RuntimeDep
from hookline.api.paging import Paged, paged
from hookline.api.responses import JSON
from hookline.identity import organization_scopes as service

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
async def list_scopes(
    request: Request,
    rt: RuntimeDep,
    page: Paged,
    q: str | None = None,
) -> Any:
    items, total = await rt.read(lambda conn: service.list_scopes(conn, q, page))
    return paged(request, items, total, page)


@router.post("/organization-scopes", status_code=201)
async def create_scope(body: ScopeCreate, request: Request) -> Any:
    scope = await change(
        request, 201, lambda conn: service.create(conn, body.model_dump(exclude_unset=True))
    )
    return JSON(scope, status_code=201)


@router.get("/organization-scopes/{id}")
async def get_scope(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: service.get(conn, id)))


@router.patch("/organization-scopes/{id}")
async def update_scope(id: str, body: ScopeUpdate, request: Request) -> Any:
    scope = await change(
        request, 200, lambda conn: service.patch(conn, id, body.model_dump(exclude_unset=True))
    )
    return JSON(scope)


@router.delete("/organization-scopes/{id}", status_code=204)
async def delete_scope(id: str, request: Request) -> Response:
    await change(request, 204, lambda conn: service.remove(conn, id))
    return Response(status_code=204)
