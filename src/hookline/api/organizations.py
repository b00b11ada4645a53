"""`/api/organizations`: Logto's Management API for organizations, members and their roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from sqlalchemy import Connection

from hookline.api.bodies import JSONRoute
from hookline.api.changes import change, emit_change
from hookline.api.deps import RuntimeDep, truthy
from hookline.api.organization_roles import created
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON
from hookline.identity import organization_member_roles as member_roles
from hookline.identity import organization_members as members
from hookline.identity import organizations as service
from hookline.identity.organizations import unique

router = APIRouter(tags=["organizations"], route_class=JSONRoute)

MEMBERSHIP = "Organization.Membership.Updated"
MEMBER_ROLES = "Organization.Membership.Roles.Updated"  # hookline's; Logto fires nothing

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
    items, total = await rt.read(
        lambda conn: service.list_organizations(conn, q, page, truthy(showFeatured))
    )
    return paged(request, items, total, page)


@router.post("/organizations", status_code=201)
async def create_organization(body: OrganizationCreate, request: Request) -> Any:
    organization = await change(
        request, 201, lambda conn: service.create(conn, body.model_dump(exclude_unset=True))
    )
    return JSON(organization, status_code=201)


@router.get("/organizations/{id}")
async def get_organization(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: service.get(conn, id)))


@router.patch("/organizations/{id}")
async def update_organization(id: str, body: OrganizationUpdate, request: Request) -> Any:
    organization = await change(
        request, 200, lambda conn: service.patch(conn, id, body.model_dump(exclude_unset=True))
    )
    return JSON(organization)


@router.delete("/organizations/{id}", status_code=204)
async def delete_organization(id: str, request: Request) -> Response:
    await change(request, 204, lambda conn: service.remove(conn, id))
    return Response(status_code=204)


# ---- members: users and applications ----------------------------------------------------------


@router.get("/organizations/{id}/users")
async def list_members(
    id: str,
    request: Request,
    rt: RuntimeDep,
    page: Paged,
    q: str | None = None,
) -> Any:
    """Members with their `organizationRoles` (`{id, name}`)."""
    items, total = await rt.read(lambda conn: members.list_users(conn, id, q, page))
    return paged(request, items, total, page)


@router.post("/organizations/{id}/users", status_code=201)
async def add_members(id: str, body: UserIds, request: Request, rt: RuntimeDep) -> Response:
    """Add users; the event lists only those who were not members yet."""

    def work(conn: Connection) -> None:
        added = members.add(conn, members.USERS, id, body.userIds)
        _membership(conn, request, 201, id, addedUserIds=added)

    await rt.committer.run(work)
    return created()


@router.put("/organizations/{id}/users", status_code=204)
async def replace_members(
    id: str, body: UserIdsReplace, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        added, removed = members.replace(conn, members.USERS, id, body.userIds)
        _membership(conn, request, 204, id, addedUserIds=added, removedUserIds=removed)

    await rt.committer.run(work)
    return Response(status_code=204)


@router.delete("/organizations/{id}/users/{userId}", status_code=204)
async def remove_member(id: str, userId: str, request: Request, rt: RuntimeDep) -> Response:
    def work(conn: Connection) -> None:
        members.remove(conn, members.USERS, id, userId)
        _membership(conn, request, 204, id, removedUserIds=[userId])

    await rt.committer.run(work)
    return Response(status_code=204)


@router.get("/organizations/{id}/applications")
async def list_applications(
    id: str,
    request: Request,
    rt: RuntimeDep,
    page: Paged,
) -> Any:
    items, total = await rt.read(lambda conn: members.list_applications(conn, id, page))
    return paged(request, items, total, page)


@router.post("/organizations/{id}/applications", status_code=201)
async def add_applications(
    id: str, body: ApplicationIds, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        added = members.add(conn, members.APPLICATIONS, id, body.applicationIds)
        _membership(conn, request, 201, id, addedApplicationIds=added)

    await rt.committer.run(work)
    return created()


@router.put("/organizations/{id}/applications", status_code=204)
async def replace_applications(
    id: str, body: ApplicationIdsReplace, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        added, removed = members.replace(conn, members.APPLICATIONS, id, body.applicationIds)
        _membership(
            conn, request, 204, id, addedApplicationIds=added, removedApplicationIds=removed
        )

    await rt.committer.run(work)
    return Response(status_code=204)


@router.delete("/organizations/{id}/applications/{applicationId}", status_code=204)
async def remove_application(
    id: str, applicationId: str, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        members.remove(conn, members.APPLICATIONS, id, applicationId)
        _membership(conn, request, 204, id, removedApplicationIds=[applicationId])

    await rt.committer.run(work)
    return Response(status_code=204)


def _membership(conn: Any, request: Request, status: int, org_id: str, **ids: list[str]) -> None:
    """Logto's hand-added event: the true delta, no `data`; a no-op still sends `organizationId`."""
    emit_change(conn, request, status, MEMBERSHIP, organizationId=org_id, **members.delta(**ids))


# ---- members' organization roles (hookline's extension event) ---------------------------------


@router.post("/organizations/{id}/users/roles", status_code=201)
async def assign_roles(id: str, body: UsersRoles, request: Request, rt: RuntimeDep) -> Response:
    """Give every listed member every listed role."""

    def work(conn: Connection) -> None:
        added = member_roles.assign(conn, id, body.userIds, body.organizationRoleIds)
        _member_roles(conn, request, 201, id, userIds=unique(body.userIds), added=added)

    await rt.committer.run(work)
    return created()


@router.get("/organizations/{id}/users/{userId}/roles")
async def list_member_roles(
    id: str,
    userId: str,
    request: Request,
    rt: RuntimeDep,
    page: MaybePaged,
) -> Any:
    """Paginated only when `page` or `page_size` is given, as in Logto."""
    items, total = await rt.read(lambda conn: member_roles.list_roles(conn, id, userId, page))
    return paged(request, items, total, page)


@router.post("/organizations/{id}/users/{userId}/roles", status_code=201)
async def add_member_roles(
    id: str, userId: str, body: MemberRoles, request: Request, rt: RuntimeDep
) -> Any:
    def work(conn: Connection) -> list[str]:
        member_roles.require_membership(conn, id, userId)
        role_ids = member_roles.resolve(conn, body.organizationRoleIds, body.organizationRoleNames)
        added = member_roles.add_roles(conn, id, userId, role_ids)
        _member_roles(conn, request, 201, id, userId=userId, added=added)
        return role_ids

    role_ids = await rt.committer.run(work)
    return JSON({"organizationRoleIds": role_ids}, status_code=201)


@router.put("/organizations/{id}/users/{userId}/roles", status_code=204)
async def replace_member_roles(
    id: str, userId: str, body: MemberRoles, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        member_roles.require_membership(conn, id, userId)
        role_ids = member_roles.resolve(conn, body.organizationRoleIds, body.organizationRoleNames)
        added, removed = member_roles.replace_roles(conn, id, userId, role_ids)
        _member_roles(conn, request, 204, id, userId=userId, added=added, removed=removed)

    await rt.committer.run(work)
    return Response(status_code=204)


@router.delete("/organizations/{id}/users/{userId}/roles/{organizationRoleId}", status_code=204)
async def remove_member_role(
    id: str, userId: str, organizationRoleId: str, request: Request, rt: RuntimeDep
) -> Response:
    def work(conn: Connection) -> None:
        member_roles.remove_role(conn, id, userId, organizationRoleId)
        _member_roles(conn, request, 204, id, userId=userId, removed=[organizationRoleId])

    await rt.committer.run(work)
    return Response(status_code=204)


def _member_roles(
    conn: Any,
    request: Request,
    status: int,
    org_id: str,
    added: list[str] = (),  # type: ignore[assignment]
    removed: list[str] = (),  # type: ignore[assignment]
    **who: Any,
) -> None:
    """`organizationId`, `userId` or `userIds`, then the role delta (empty sides left out)."""
    change = {"addedOrganizationRoleIds": list(added), "removedOrganizationRoleIds": list(removed)}
    emit_change(
        conn,
        request,
        status,
        MEMBER_ROLES,
        organizationId=org_id,
        **who,
        **{key: ids for key, ids in change.items() if ids},
    )
