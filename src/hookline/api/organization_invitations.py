"""`/api/organization-invitations`: Logto's Management API for organization invitations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from sqlalchemy import Connection

from hookline.api.bodies import JSONRoute
from hookline.api.changes import emit_change
from hookline.api.deps import RuntimeDep
from hookline.api.resources import MAX_SAFE_INT
from hookline.api.responses import JSON
from hookline.identity import invitations as service
from hookline.identity import organization_members as members

router = APIRouter(tags=["organization invitations"], route_class=JSONRoute)

# zod's `.email()`, near enough: one @, no spaces, a dot in the domain.
Email = Annotated[StrictStr, Field(pattern=r"^[^\s@]+@[^\s@]+\.[^\s@]+$", max_length=256)]
Id = Annotated[StrictStr, Field(min_length=1)]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organizationId: Id
    invitee: Email
    # Epoch milliseconds, a JavaScript exact integer as elsewhere: past 2**63 the column overflows.
    expiresAt: Annotated[StrictInt, Field(le=MAX_SAFE_INT)]
    inviterId: Id | None = None
    organizationRoleIds: list[StrictStr] = Field(default_factory=list)
    # Logto sends the invitation email from here; hookline sends no email and ignores it.
    messagePayload: Any = False


class InvitationStatus(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["Accepted", "Revoked"]
    acceptedUserId: Id | None = None


@router.get("/organization-invitations")
async def list_invitations(
    rt: RuntimeDep,
    organizationId: str | None = None,
    inviterId: str | None = None,
    invitee: str | None = None,
) -> Any:
    filters = {"organizationId": organizationId, "inviterId": inviterId, "invitee": invitee}
    return JSON(await rt.read(lambda conn: service.list_invitations(conn, filters)))


@router.post("/organization-invitations", status_code=201)
async def create_invitation(body: InvitationCreate, rt: RuntimeDep) -> Any:
    """A Pending invitation; Logto fires no event for it (§2.6)."""

    def work(conn: Connection) -> Any:
        return service.create(
            conn,
            body.organizationId,
            body.invitee,
            body.expiresAt,
            body.inviterId,
            body.organizationRoleIds,
        )

    return JSON(await rt.committer.run(work), status_code=201)


@router.get("/organization-invitations/{id}")
async def get_invitation(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: service.get(conn, id)))


@router.delete("/organization-invitations/{id}", status_code=204)
async def delete_invitation(id: str, rt: RuntimeDep) -> Response:
    await rt.committer.run(lambda conn: service.remove(conn, id))
    return Response(status_code=204)


@router.put("/organization-invitations/{id}/status")
async def set_invitation_status(
    id: str, body: InvitationStatus, request: Request, rt: RuntimeDep
) -> Any:
    """Accepting makes the user a member with the invitation's roles, and says so."""

    def work(conn: Connection) -> Any:
        invitation, added = service.set_status(conn, id, body.status, body.acceptedUserId)
        if body.status == "Accepted":
            emit_change(
                conn,
                request,
                200,
                "Organization.Membership.Updated",
                organizationId=invitation["organizationId"],
                **members.delta(addedUserIds=added),
            )
        return invitation

    return JSON(await rt.committer.run(work))
