"""The events the sign-in flows fire, in Logto's key order, written through `outbox.emit`
in the flow's transaction (a flow that rolls back fires nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from hookline.db.tables import applications
from hookline.identity.experience.interactions import Client, Interaction
from hookline.identity.identifiers import IDENTIFIERS
from hookline.identity.users import user_json
from hookline.outbox.emit import emit

POST_EVENTS = {
    "SignIn": "PostSignIn",
    "Register": "PostRegister",
    "ForgotPassword": "PostResetPassword",
}
# The moment before each, at which synchronous hooks are called (identity.experience.gates).
PRE_EVENTS = {
    "SignIn": "PreSignIn",
    "Register": "PreRegister",
    "ForgotPassword": "PreResetPassword",
}


def emit_data(
    conn: Connection, event: str, interaction: Interaction, client: Client, **extra: Any
) -> None:
    """A data or exception event (`User.Created`, `Identifier.Lockout`, ...); `extra` keys
    go last."""
    app = _application(conn, interaction)
    emit(conn, event, _data_payload(interaction, client, app, **extra))


def emit_post(
    conn: Connection, interaction: Interaction, client: Client, user: Mapping[str, Any]
) -> None:
    """PostRegister / PostSignIn / PostResetPassword, the interaction's own event."""
    app = _application(conn, interaction)
    payload = _post_payload(interaction, client, app, user["id"], user_json(user))
    emit(conn, POST_EVENTS[interaction.event], payload)


def pre_payload(
    conn: Connection, interaction: Interaction, client: Client, user: Mapping[str, Any] | None
) -> dict[str, Any]:
    """PreRegister / PreSignIn / PreResetPassword: the fields of the Post… event, before the
    change. A registration has no user yet: its `user` is the would-be profile (no id, never
    a password), with the fields a synchronous hook may patch."""
    app = _application(conn, interaction)
    if user is not None:
        return _post_payload(interaction, client, app, user["id"], user_json(user))
    profile = interaction.state["profile"]
    would_be = {"id": None, **{k: profile.get(k) for k in IDENTIFIERS}}
    would_be |= {"name": None, "customData": {}, "profile": {}}
    return _post_payload(interaction, client, app, None, would_be)


def _post_payload(
    interaction: Interaction,
    client: Client,
    app: dict[str, Any] | None,
    user_id: str | None,
    user: dict[str, Any],
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": None,
        "interactionEvent": interaction.event,
        "createdAt": None,
        "sessionId": interaction.id,
    }
    if client.user_agent is not None:
        payload["userAgent"] = client.user_agent
    payload |= {"userId": user_id, "userIp": client.ip, "user": user}
    if app is not None:
        payload["application"] = app
    return payload


def _data_payload(
    interaction: Interaction, client: Client, app: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    """`event` and `createdAt` go first (`outbox.emit` puts them there)."""
    payload: dict[str, Any] = {"interactionEvent": interaction.event}
    if client.user_agent is not None:
        payload["userAgent"] = client.user_agent
    if app is not None:
        payload["applicationId"] = app["id"]
    payload |= {"sessionId": interaction.id, "ip": client.ip}
    if app is not None:
        payload["application"] = app
    return payload | extra


def _application(conn: Connection, interaction: Interaction) -> dict[str, Any] | None:
    """The interaction's application as the payloads name it."""
    if interaction.application_id is None:
        return None
    row = conn.execute(
        select(applications).where(applications.c.id == interaction.application_id)
    ).first()
    if row is None:
        return None
    return {"id": row.id, "type": row.type, "name": row.name, "description": row.description}
