"""`/api/organizations`: Logto's Management API for organizations, members and their roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from hookline.api.bodies import JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep, truthy
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON, created
from hookline.identity import organization_member_roles as member_roles
from hookline.identity import organization_members as members
from hookline.identity import organizations
from hookline.identity.organization_members import APPLICATIONS, USERS

router = APIRouter(tags=["organizations"], route_class=JSONRoute)

Name = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Description = Annotated[StrictStr, Field(max_length=256)] | None
Id = Annotated[StrictStr, Field(min_length=1)]
Ids = Annotated[list[Id], Field(min_length=1)]
JsonObject = dict[str, Any]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    description: Description = None
    # May be left out, not set to null.
    customData: JsonObject = None  # type: ignore[assignment]
    isMfaRequired: StrictBool = None  # type: ignore[assignment]
    color: JsonObject = None  # type: ignore[assignment]
    branding: JsonObject = None  # type: ignore[assignment]
    customCss: StrictStr | None = None


class OrganizationUpdate(OrganizationCreate):
    name: Name = None  # type: ignore[assignment]


class UserIds(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userIds: Ids


class UserIdsReplace(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userIds: list[Id]


class ApplicationIds(BaseModel):
    model_config = ConfigDict(extra="ignore")

    applicationIds: Ids


class ApplicationIdsReplace(BaseModel):
    model_config = ConfigDict(extra="ignore")

    applicationIds: list[Id]


class UsersRoles(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userIds: Ids
    organizationRoleIds: Ids


class MemberRoles(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organizationRoleIds: list[Id] = Field(default_factory=list)
    organizationRoleNames: list[Id] = Field(default_factory=list)


# ---- organizations ----------------------------------------------------------------------------


@router.get("/organizations")
async def list_organizations(
    request: Request,
    rt: RuntimeDep,
    page: Paged,
    q: str | None = None,
    showFeatured: str | None = None,
) -> Any:
    """Newest first; `showFeatured` adds `usersCount` and up to three `featuredUsers`."""
    featured = truthy(showFeatured)
    items, total = await rt.read(
        lambda conn: organizations.list_organizations(conn, q, page, featured)
    )
    return paged(request, items, total, page)


@router.post("/organizations", status_code=201)
async def create_organization(body: OrganizationCreate, request: Request) -> Any:
    fields = body.model_dump(exclude_unset=True)
    organization = await commit(
        request, 201, lambda conn, ctx: organizations.create_organization(conn, ctx, fields)
    )
    return JSON(organization, status_code=201)


@router.get("/organizations/{id}")
async def get_organization(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: organizations.get_organization(conn, id)))


@router.patch("/organizations/{id}")
async def update_organization(id: str, body: OrganizationUpdate, request: Request) -> Any:
    fields = body.model_dump(exclude_unset=True)
    return JSON(
        await commit(
            request, 200, lambda conn, ctx: organizations.update_organization(conn, ctx, id, fields)
        )
    )


@router.delete("/organizations/{id}", status_code=204)
async def delete_organization(id: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: organizations.delete_organization(conn, ctx, id))
    return Response(status_code=204)


# ---- members: users and applications (Logto's hand-made `Organization.Membership.Updated`) ----


@router.get("/organizations/{id}/users")
async def list_members(
    id: str, request: Request, rt: RuntimeDep, page: Paged, q: str | None = None
) -> Any:
    """Members with their `organizationRoles` (`{id, name}`)."""
    items, total = await rt.read(lambda conn: members.list_users(conn, id, q, page))
    return paged(request, items, total, page)


@router.post("/organizations/{id}/users", status_code=201)
async def add_members(id: str, body: UserIds, request: Request) -> Response:
    """Add users; the event lists only those who were not members yet."""
    user_ids = body.userIds
    await commit(
        request, 201, lambda conn, ctx: members.add_members(conn, ctx, USERS, id, user_ids)
    )
    return created()


@router.put("/organizations/{id}/users", status_code=204)
async def replace_members(id: str, body: UserIdsReplace, request: Request) -> Response:
    user_ids = body.userIds
    await commit(
        request, 204, lambda conn, ctx: members.replace_members(conn, ctx, USERS, id, user_ids)
    )
    return Response(status_code=204)


@router.delete("/organizations/{id}/users/{userId}", status_code=204)
async def remove_member(id: str, userId: str, request: Request) -> Response:
    await commit(
        request, 204, lambda conn, ctx: members.remove_member(conn, ctx, USERS, id, userId)
    )
    return Response(status_code=204)


@router.get("/organizations/{id}/applications")
async def list_applications(id: str, request: Request, rt: RuntimeDep, page: Paged) -> Any:
    items, total = await rt.read(lambda conn: members.list_applications(conn, id, page))
    return paged(request, items, total, page)


@router.post("/organizations/{id}/applications", status_code=201)
async def add_applications(id: str, body: ApplicationIds, request: Request) -> Response:
    app_ids = body.applicationIds
    await commit(
        request, 201, lambda conn, ctx: members.add_members(conn, ctx, APPLICATIONS, id, app_ids)
    )
    return created()


@router.put("/organizations/{id}/applications", status_code=204)
async def replace_applications(id: str, body: ApplicationIdsReplace, request: Request) -> Response:
    app_ids = body.applicationIds
    await commit(
        request,
        204,
        lambda conn, ctx: members.replace_members(conn, ctx, APPLICATIONS, id, app_ids),
    )
    return Response(status_code=204)


@router.delete("/organizations/{id}/applications/{applicationId}", status_code=204)
async def remove_application(id: str, applicationId: str, request: Request) -> Response:
    await commit(
        request,
        204,
        lambda conn, ctx: members.remove_member(conn, ctx, APPLICATIONS, id, applicationId),
    )
    return Response(status_code=204)


# ---- members' organization roles (hookline's `Organization.Membership.Roles.Updated`) ---------


@router.post("/organizations/{id}/users/roles", status_code=201)
async def add_users_roles(id: str, body: UsersRoles, request: Request) -> Response:
    """Give every listed member every listed role."""
    user_ids, role_ids = body.userIds, body.organizationRoleIds
    await commit(
        request,
        201,
        lambda conn, ctx: member_roles.add_users_roles(conn, ctx, id, user_ids, role_ids),
    )
    return created()


@router.get("/organizations/{id}/users/{userId}/roles")
async def list_member_roles(
    id: str, userId: str, request: Request, rt: RuntimeDep, page: MaybePaged
) -> Any:
    """Paginated only when `page` or `page_size` is given, as in Logto."""
    items, total = await rt.read(
        lambda conn: member_roles.list_member_roles(conn, id, userId, page)
    )
    return paged(request, items, total, page)


@router.post("/organizations/{id}/users/{userId}/roles", status_code=201)
async def add_member_roles(id: str, userId: str, body: MemberRoles, request: Request) -> Any:
    ids, names = body.organizationRoleIds, body.organizationRoleNames
    role_ids = await commit(
        request,
        201,
        lambda conn, ctx: member_roles.add_member_roles(conn, ctx, id, userId, ids, names),
    )
    return JSON({"organizationRoleIds": role_ids}, status_code=201)


@router.put("/organizations/{id}/users/{userId}/roles", status_code=204)
async def replace_member_roles(
    id: str, userId: str, body: MemberRoles, request: Request
) -> Response:
    ids, names = body.organizationRoleIds, body.organizationRoleNames
    await commit(
        request,
        204,
        lambda conn, ctx: member_roles.replace_member_roles(conn, ctx, id, userId, ids, names),
    )
    return Response(status_code=204)


@router.delete("/organizations/{id}/users/{userId}/roles/{organizationRoleId}", status_code=204)
async def remove_member_role(
    id: str, userId: str, organizationRoleId: str, request: Request
) -> Response:
    await commit(
        request,
        204,
        lambda conn, ctx: member_roles.remove_member_role(
            conn, ctx, id, userId, organizationRoleId
        ),
    )
    return Response(status_code=204)
