"""Organization invitations (Logto's RFC 0003): invite by email, accept or revoke once.

Logto fires no event for an invitation itself; accepting one fires the membership change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hookline.db.tables import (
    organization_invitations,
    organization_roles,
    organization_users,
    organizations,
    users,
)
from hookline.errors import ApiError, foreign_key_not_found, invalid_request, not_exists_with_id
from hookline.events.context import Context
from hookline.identity.organization_member_roles import insert_member_roles
from hookline.identity.organization_members import USERS, add_members
from hookline.identity.rows import delete_row, get_row, unique
from hookline.ids import now_ms, random_id

_INV = organization_invitations
PENDING, ACCEPTED, EXPIRED, REVOKED = "Pending", "Accepted", "Expired", "Revoked"


def _status(row: Any, now: int) -> str:
    """A pending invitation past its expiry reads as Expired, as in Logto."""
    return EXPIRED if row.status == PENDING and row.expires_at <= now else row.status


def invitation_json(conn: Connection, row: Any) -> dict[str, Any]:
    role_ids = list(row.organization_role_ids or [])
    named = {
        r.id: r.name
        for r in conn.execute(
            select(organization_roles.c.id, organization_roles.c.name).where(
                organization_roles.c.id.in_(role_ids)
            )
        )
    }
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "inviterId": row.inviter_id,
        "invitee": row.invitee,
        "acceptedUserId": row.accepted_user_id,
        "organizationId": row.organization_id,
        "status": _status(row, now_ms()),
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "expiresAt": row.expires_at,
        "organizationRoles": [{"id": i, "name": named[i]} for i in role_ids if i in named],
    }


def get_invitation(conn: Connection, invitation_id: str) -> dict[str, Any]:
    return invitation_json(conn, get_row(conn, _INV, invitation_id))


def list_invitations(conn: Connection, filters: dict[str, str | None]) -> list[dict[str, Any]]:
    query = select(_INV).order_by(_INV.c.created_at, _INV.c.id)
    for key, column in (
        ("organizationId", _INV.c.organization_id),
        ("inviterId", _INV.c.inviter_id),
        ("invitee", _INV.c.invitee),
    ):
        if filters.get(key) is not None:
            query = query.where(column == filters[key])
    return [invitation_json(conn, row) for row in conn.execute(query)]


def _exists(conn: Connection, table: Any, ids: list[str]) -> bool:
    if not ids:
        return True
    count = conn.execute(select(func.count()).where(table.c.id.in_(ids))).scalar_one()
    return count == len(ids)


def create_invitation(
    conn: Connection,
    ctx: Context,
    organization_id: str,
    invitee: str,
    expires_at: int,
    inviter_id: str | None,
    role_ids: list[str],
) -> dict[str, Any]:
    now = now_ms()
    if expires_at <= now:
        raise invalid_request(400, "The value of `expiresAt` must be in the future.")
    role_ids = unique(role_ids)
    refs_ok = (
        _exists(conn, organizations, [organization_id])
        and _exists(conn, users, [inviter_id] if inviter_id else [])
        and _exists(conn, organization_roles, role_ids)
    )
    if not refs_ok:
        raise foreign_key_not_found()
    member = conn.execute(
        select(users.c.id)
        .join(organization_users, organization_users.c.user_id == users.c.id)
        .where(
            organization_users.c.organization_id == organization_id,
            func.lower(users.c.primary_email) == invitee.lower(),
        )
    ).first()
    if member is not None:
        raise invalid_request(422, "The invitee is already a member of the organization.")
    same = (_INV.c.organization_id == organization_id, _INV.c.invitee == invitee)
    # Pending invitations past their expiry become Expired; a live one blocks a second.
    conn.execute(
        update(_INV)
        .where(*same, _INV.c.status == PENDING, _INV.c.expires_at <= now)
        .values(status=EXPIRED, updated_at=now)
    )
    if conn.execute(select(_INV.c.id).where(*same, _INV.c.status == PENDING)).first():
        raise ApiError(
            422,
            "entity.unique_integrity_violation",
            "The entity already exists. Please check the input and try again.",
        )
    invitation_id = random_id()
    conn.execute(
        insert(_INV).values(
            id=invitation_id,
            inviter_id=inviter_id,
            invitee=invitee,
            organization_id=organization_id,
            status=PENDING,
            organization_role_ids=role_ids,
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
        )
    )
    return get_invitation(conn, invitation_id)


def delete_invitation(conn: Connection, ctx: Context, invitation_id: str) -> None:
    delete_row(conn, _INV, invitation_id)


def set_invitation_status(
    conn: Connection, ctx: Context, invitation_id: str, status: str, accepted_user_id: str | None
) -> dict[str, Any]:
    """Accept or revoke a pending invitation; returns it. Accepting makes the user a member
    with the invitation's roles, and fires `Organization.Membership.Updated` (only)."""
    row = get_row(conn, _INV, invitation_id)
    if _status(row, now_ms()) != PENDING:
        raise invalid_request(422, "The status of the invitation cannot be changed anymore.")
    if status == ACCEPTED:
        _accept(conn, ctx, row, accepted_user_id)
    conn.execute(
        update(_INV)
        .where(_INV.c.id == invitation_id)
        .values(
            status=status,
            accepted_user_id=accepted_user_id if status == ACCEPTED else row.accepted_user_id,
            updated_at=now_ms(),
        )
    )
    return get_invitation(conn, invitation_id)


def _accept(conn: Connection, ctx: Context, row: Any, user_id: str | None) -> None:
    if not user_id:
        raise invalid_request(422, "The `acceptedUserId` is required when accepting an invitation.")
    user = conn.execute(select(users.c.primary_email).where(users.c.id == user_id)).first()
    if user is None:
        raise not_exists_with_id("users", user_id)
    if (user.primary_email or "").lower() != row.invitee.lower():
        raise invalid_request(422, "The accepted user must have the same email as the invitee.")
    add_members(conn, ctx, USERS, row.organization_id, [user_id])
    live_roles = conn.execute(
        select(organization_roles.c.id).where(
            organization_roles.c.id.in_(list(row.organization_role_ids or []))
        )
    )
    insert_member_roles(conn, row.organization_id, user_id, [r.id for r in live_roles])
