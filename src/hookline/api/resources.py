"""`/api/resources`: Logto's Management API for resources."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from hookline.api.bodies import MAX_SAFE_INT, Body, JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep, truthy
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON
from hookline.identity import resources
from hookline.identity.resources import resource_json

router = APIRouter(tags=["resources"], route_class=JSONRoute)

Ttl = Annotated[StrictInt, Field(ge=0, le=MAX_SAFE_INT)]


class ResourceCreate(Body):
    name: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    indicator: Annotated[StrictStr, Field(min_length=1, max_length=2048)]
    accessTokenTtl: Ttl | None = None


class ResourceUpdate(Body):
    name: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    accessTokenTtl: Ttl | None = None


class DefaultFlag(Body):
    isDefault: StrictBool


RESOURCE_COLUMNS = {"name": "name", "accessTokenTtl": "access_token_ttl"}


class ScopeCreate(Body):
    NULLABLE = frozenset({"description"})
    name: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    description: StrictStr | None = None


class ScopeUpdate(Body):
    NULLABLE = frozenset({"description"})
    name: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None
    description: StrictStr | None = None


SCOPE_COLUMNS = {"name": "name", "description": "description"}


@router.get("/resources")
async def list_resources(
    request: Request,
    rt: RuntimeDep,
    page: MaybePaged,
    includeScopes: str | None = None,
) -> Any:
    """All resources, paginated only when `page` or `page_size` is given."""
    items, total = await rt.read(
        lambda conn: resources.list_resources(conn, truthy(includeScopes), page)
    )
    return paged(request, items, total, page)


@router.post("/resources", status_code=201)
async def create_resource(body: ResourceCreate, request: Request) -> Any:
    """Create a resource (Logto fires no events for resources, only for their scopes)."""
    created = await commit(
        request,
        201,
        lambda conn, ctx: resources.create_resource(
            conn, ctx, body.name, body.indicator, body.accessTokenTtl
        ),
    )
    return JSON(created, status_code=201)


@router.get("/resources/{id}")
async def get_resource(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: resource_json(resources.get_resource(conn, id))))


@router.patch("/resources/{id}")
async def update_resource(id: str, body: ResourceUpdate, request: Request) -> Any:
    """Rename a resource or change its token TTL; the indicator cannot change."""
    changes = body.changes(RESOURCE_COLUMNS)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: resources.update_resource(conn, ctx, id, changes)
        )
    )


@router.patch("/resources/{id}/is-default")
async def set_default_resource(id: str, body: DefaultFlag, request: Request) -> Any:
    """Make a resource the default one (unsetting any other) or not."""
    is_default = body.isDefault
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: resources.set_default(conn, ctx, id, is_default)
        )
    )


@router.delete("/resources/{id}", status_code=204)
async def delete_resource(id: str, request: Request) -> Response:
    """Delete a resource and its scopes."""
    await commit(request, 204, lambda conn, ctx: resources.delete_resource(conn, ctx, id))
    return Response(status_code=204)


@router.get("/resources/{resourceId}/scopes")
async def list_scopes(
    resourceId: str,
    request: Request,
    rt: RuntimeDep,
    page: Paged,
) -> Any:
    """A resource's scopes, always paginated (20 a page unless told), as Logto."""
    items, total = await rt.read(lambda conn: resources.list_scopes(conn, resourceId, page))
    return paged(request, items, total, page)


@router.post("/resources/{resourceId}/scopes", status_code=201)
async def create_scope(resourceId: str, body: ScopeCreate, request: Request) -> Any:
    scope = await commit(
        request,
        201,
        lambda conn, ctx: resources.create_scope(
            conn, ctx, resourceId, body.name, body.description
        ),
    )
    return JSON(scope, status_code=201)


@router.patch("/resources/{resourceId}/scopes/{scopeId}")
async def update_scope(resourceId: str, scopeId: str, body: ScopeUpdate, request: Request) -> Any:
    """Rename or redescribe a scope."""
    changes = body.changes(SCOPE_COLUMNS)
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: resources.update_scope(conn, ctx, resourceId, scopeId, changes),
        )
    )


@router.delete("/resources/{resourceId}/scopes/{scopeId}", status_code=204)
async def delete_scope(resourceId: str, scopeId: str, request: Request) -> Response:
    """Delete a scope and its role assignments."""
    await commit(
        request, 204, lambda conn, ctx: resources.delete_scope(conn, ctx, resourceId, scopeId)
    )
    return Response(status_code=204)
