"""`/api/applications`: Logto's Management API for applications (which fires no events)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from hookline.api.bodies import Body, JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON
from hookline.errors import invalid_query
from hookline.identity import applications
from hookline.identity.applications import application_detail_json

router = APIRouter(tags=["applications"], route_class=JSONRoute)

AppName = Annotated[StrictStr, Field(min_length=1, max_length=256)]
AppType = Literal["Native", "SPA", "Traditional", "MachineToMachine"]


class OidcClientMetadata(BaseModel):
    """Both URI lists are required, as Logto's guard has it; other keys are kept."""

    model_config = ConfigDict(extra="allow")

    redirectUris: list[StrictStr]
    postLogoutRedirectUris: list[StrictStr]


class ApplicationCreate(Body):
    NULLABLE = frozenset({"description"})
    name: AppName
    type: AppType
    description: StrictStr | None = None
    oidcClientMetadata: OidcClientMetadata | None = None
    customData: dict[str, Any] | None = None


class ApplicationUpdate(Body):
    NULLABLE = frozenset({"description"})
    name: AppName | None = None
    description: StrictStr | None = None
    oidcClientMetadata: OidcClientMetadata | None = None
    customData: dict[str, Any] | None = None


APPLICATION_COLUMNS = {
    "name": "name",
    "description": "description",
    "oidcClientMetadata": "oidc_client_metadata",
    "customData": "custom_data",
}


def _types(request: Request) -> list[str] | None:
    """`types` may repeat (`?types=SPA&types=Native`)."""
    types = request.query_params.getlist("types")
    for value in types:
        if value not in applications.TYPES:
            raise invalid_query(f"types: unknown application type {value!r}")
    return types or None


@router.get("/applications")
async def list_applications(request: Request, rt: RuntimeDep, page: MaybePaged) -> Any:
    """Applications, newest first; paginated only when `page` or `page_size` is given."""
    types = _types(request)
    items, total = await rt.read(lambda conn: applications.list_applications(conn, types, page))
    return paged(request, items, total, page)


@router.post("/applications")
async def create_application(body: ApplicationCreate, request: Request) -> Any:
    """Create an application (200, as Logto). The answer holds the client secret: the only
    time it is shown, since hookline keeps just its hash."""
    metadata = body.oidcClientMetadata.model_dump() if body.oidcClientMetadata else None
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: applications.create_application(
                conn, ctx, body.name, body.type, body.description, metadata, body.customData
            ),
        )
    )


@router.get("/applications/{id}")
async def get_application(id: str, rt: RuntimeDep) -> Any:
    return JSON(
        await rt.read(lambda conn: application_detail_json(applications.get_application(conn, id)))
    )


@router.patch("/applications/{id}")
async def update_application(id: str, body: ApplicationUpdate, request: Request) -> Any:
    """Change name, description, OIDC metadata or custom data; JSON fields are replaced."""
    changes = body.changes(APPLICATION_COLUMNS)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: applications.update_application(conn, ctx, id, changes)
        )
    )


@router.delete("/applications/{id}", status_code=204)
async def delete_application(id: str, request: Request) -> Response:
    """Delete an application; its credentials get no new tokens (issued ones run out)."""
    await commit(request, 204, lambda conn, ctx: applications.delete_application(conn, ctx, id))
    return Response(status_code=204)


# Roles of machine-to-machine applications: what they may do with API resources, the
# Management API included.


class RoleIds(Body):
    roleIds: list[Annotated[StrictStr, Field(min_length=1)]]


@router.get("/applications/{id}/roles")
async def list_application_roles(id: str, request: Request, rt: RuntimeDep, page: Paged) -> Any:
    """The application's machine-to-machine roles, newest first, always paginated."""
    items, total = await rt.read(lambda conn: applications.list_application_roles(conn, id, *page))
    return paged(request, items, total, page)


@router.post("/applications/{id}/roles", status_code=201)
async def add_application_roles(id: str, body: RoleIds, request: Request) -> Any:
    """Assign roles (those already held are skipped): 201 with the ids asked for and added."""
    role_ids = body.roleIds
    added = await commit(
        request, 201, lambda conn, ctx: applications.add_application_roles(conn, ctx, id, role_ids)
    )
    return JSON({"roleIds": role_ids, "addedRoleIds": added}, status_code=201)


@router.put("/applications/{id}/roles")
async def replace_application_roles(id: str, body: RoleIds, request: Request) -> Response:
    """Make the application's roles exactly `roleIds`. Unlike Logto, which lets this route
    assign a `User` role, the role type is checked as on POST."""
    role_ids = body.roleIds
    await commit(
        request,
        200,
        lambda conn, ctx: applications.replace_application_roles(conn, ctx, id, role_ids),
    )
    return Response(status_code=200)


@router.delete("/applications/{id}/roles/{roleId}", status_code=204)
async def remove_application_role(id: str, roleId: str, request: Request) -> Response:
    await commit(
        request, 204, lambda conn, ctx: applications.remove_application_role(conn, ctx, id, roleId)
    )
    return Response(status_code=204)
