"""`POST /experience/submit`: the interaction applied to the users (a new user, a sign-in,
a new password) with its events, in Logto's order; the interaction ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select, update

from hookline.db.tables import applications, interactions, users, verification_codes
from hookline.errors import ApiError
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.events import emit_data, emit_post
from hookline.identity.experience.identification import require_profile
from hookline.identity.experience.interactions import (
    Client,
    Interaction,
    get_interaction,
    identified_user,
)
from hookline.identity.identifiers import IDENTIFIERS
from hookline.identity.users import get_user, insert_user, user_json, write_fields, write_password
from hookline.ids import now_ms


def submit(conn: Connection, interaction_id: str | None, client: Client, base_url: str) -> str:
    """Apply the interaction and fire its events; return where the client goes next (the
    application's first redirect URI, else `base_url`)."""
    interaction = get_interaction(conn, interaction_id)
    if interaction.event == "Register":
        user = _register(conn, interaction, client)
    elif interaction.event == "ForgotPassword":
        user = _reset_password(conn, interaction, client)
    else:
        user = _sign_in(conn, interaction, client)
    emit_post(conn, interaction, client, user)
    conn.execute(
        delete(verification_codes).where(verification_codes.c.interaction_id == interaction.id)
    )
    conn.execute(delete(interactions).where(interactions.c.id == interaction.id))
    return _redirect_to(conn, interaction, base_url)


def _register(conn: Connection, interaction: Interaction, client: Client) -> Mapping[str, Any]:
    profile = interaction.state["profile"]
    if not interaction.state.get("identified"):
        raise errors.identifier_not_found()
    require_profile(sie.get_sign_in_experience(conn), profile)
    fields = {k: profile[k] for k in IDENTIFIERS if k in profile}
    user = insert_user(conn, fields, profile.get("passwordHash"))
    emit_data(conn, "User.Created", interaction, client, data=user_json(user))
    return _signed_in(conn, user["id"])


def _reset_password(
    conn: Connection, interaction: Interaction, client: Client
) -> Mapping[str, Any]:
    user = _existing_user(conn, interaction)
    password_hash = interaction.state["profile"].get("passwordHash")
    if not password_hash:
        raise ApiError(
            422, "user.new_password_required_in_profile", "You need to set a new password."
        )
    user = write_password(conn, user["id"], password_hash)
    emit_data(conn, "User.Data.Updated", interaction, client, data=user_json(user))
    return user


def _sign_in(conn: Connection, interaction: Interaction, client: Client) -> Mapping[str, Any]:
    """A sign-in that added profile fields writes them and fires User.Data.Updated."""
    user = _existing_user(conn, interaction)
    profile = interaction.state["profile"]
    fields = {k: profile[k] for k in IDENTIFIERS if k in profile}
    if fields or "passwordHash" in profile:
        if fields:
            user = write_fields(conn, user["id"], fields)
        if "passwordHash" in profile:
            user = write_password(conn, user["id"], profile["passwordHash"])
        emit_data(conn, "User.Data.Updated", interaction, client, data=user_json(user))
    return _signed_in(conn, user["id"])


def _existing_user(conn: Connection, interaction: Interaction) -> Mapping[str, Any]:
    user = identified_user(conn, interaction)
    if user is None:
        raise errors.identifier_not_found()
    if user["is_suspended"]:
        raise errors.suspended()
    return user


def _signed_in(conn: Connection, user_id: str) -> Mapping[str, Any]:
    now = now_ms()
    conn.execute(
        update(users).where(users.c.id == user_id).values(last_sign_in_at=now, updated_at=now)
    )
    return get_user(conn, user_id)


def _redirect_to(conn: Connection, interaction: Interaction, base_url: str) -> str:
    if interaction.application_id is not None:
        row = conn.execute(
            select(applications.c.oidc_client_metadata).where(
                applications.c.id == interaction.application_id
            )
        ).first()
        uris = (row.oidc_client_metadata or {}).get("redirectUris") if row else None
        if uris:
            return str(uris[0])
    return base_url
