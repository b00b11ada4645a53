"""`/api/organization-invitations`: Logto's Management API for organization invitations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from hookline.api.bodies import MAX_SAFE_INT, JSONRoute
from hookline.api.changes import commit
from hookline.api.deps import RuntimeDep
from hookline.api.responses import JSON
from hookline.identity import invitations

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
    return JSON(await rt.read(lambda conn: invitations.list_invitations(conn, filters)))


@router.post("/organization-invitations", status_code=201)
async def create_invitation(body: InvitationCreate, request: Request) -> Any:
    """A Pending invitation; Logto fires no event for it (§2.6)."""
    invitation = await commit(
        request,
        201,
        lambda conn, ctx: invitations.create_invitation(
            conn,
            ctx,
            body.organizationId,
            body.invitee,
            body.expiresAt,
            body.inviterId,
            body.organizationRoleIds,
        ),
    )
    return JSON(invitation, status_code=201)


@router.get("/organization-invitations/{id}")
async def get_invitation(id: str, rt: RuntimeDep) -> Any:
    return JSON(await rt.read(lambda conn: invitations.get_invitation(conn, id)))


@router.delete("/organization-invitations/{id}", status_code=204)
async def delete_invitation(id: str, request: Request) -> Response:
    await commit(request, 204, lambda conn, ctx: invitations.delete_invitation(conn, ctx, id))
    return Response(status_code=204)


@router.put("/organization-invitations/{id}/status")
async def set_invitation_status(id: str, body: InvitationStatus, request: Request) -> Any:
    """Accepting makes the user a member with the invitation's roles, and says so."""
    status, user_id = body.status, body.acceptedUserId
    return JSON(
        await commit(
            request,
            200,
            lambda conn, ctx: invitations.set_invitation_status(conn, ctx, id, status, user_id),
        )
    )
