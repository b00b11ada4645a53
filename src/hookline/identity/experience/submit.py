"""`POST /experience/submit`: the interaction applied to the users (a new user, a sign-in,
a new password) with its events, in Logto's order, once its synchronous hooks allowed it;
the interaction ends."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select, update

from hookline.db.tables import applications, interactions, users, verification_codes
from hookline.errors import ApiError
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.events import PRE_EVENTS, emit_data, emit_post, pre_payload
from hookline.identity.experience.gate_hooks import sync_hooks
from hookline.identity.experience.gates import (
    Pending,
    Verdict,
    call_hooks,
    record_calls,
    record_denial,
)
from hookline.identity.experience.identification import require_profile
from hookline.identity.experience.interactions import (
    Client,
    Interaction,
    get_interaction,
    identified_user,
)
from hookline.identity.experience.services import Services
from hookline.identity.identifiers import IDENTIFIERS
from hookline.identity.users import get_user, insert_user, user_json, write_fields, write_password
from hookline.ids import now_ms
from hookline.outbox.emit import emit, has_subscribers


async def submit_interaction(
    services: Services, secret: str | None, client: Client, base_url: str
) -> str:
    """`POST /experience/submit`, with the moment's synchronous hooks asked first, if it has
    any (identity.experience.gates): a denial is kept and answered, nothing else changes."""
    gated = services.settings.sync_hooks
    first = await services.committer.run(lambda conn: submit(conn, secret, client, base_url, gated))
    if not isinstance(first, Pending):
        return first
    verdict = await call_hooks(services.transport, services.settings.user_agent, first)
    if verdict.denial() is not None:
        raise await services.committer.run(
            lambda conn: record_denial(conn, verdict, get_interaction(conn, secret), client)
        )
    applied = await services.committer.run(
        lambda conn: submit(conn, secret, client, base_url, gated, verdict)
    )
    assert not isinstance(applied, Pending)
    return applied


def submit(
    conn: Connection,
    secret: str | None,
    client: Client,
    base_url: str,
    gated: bool = True,
    verdict: Verdict | None = None,
) -> str | Pending:
    """Apply the interaction and fire its events; return where the client goes next (the
    application's first redirect URI, else `base_url`). With sync hooks to ask (`gated`)
    and no `verdict` of theirs yet, change nothing and return what to ask them."""
    interaction = get_interaction(conn, secret)
    user = _checked(conn, interaction)
    patch = _gate(conn, interaction, client, user, gated, verdict)
    if isinstance(patch, Pending):
        return patch
    if interaction.event == "Register":
        user = _register(conn, interaction, client, patch)
    elif interaction.event == "ForgotPassword":
        assert user is not None
        user = _reset_password(conn, interaction, client, user, patch)
    else:
        assert user is not None
        user = _sign_in(conn, interaction, client, user, patch)
    emit_post(conn, interaction, client, user)
    conn.execute(
        delete(verification_codes).where(verification_codes.c.interaction_id == interaction.id)
    )
    conn.execute(delete(interactions).where(interactions.c.id == interaction.id))
    return _redirect_to(conn, interaction, base_url)


def _checked(conn: Connection, interaction: Interaction) -> Mapping[str, Any] | None:
    """What must hold before anything is asked or changed; the user, unless registering."""
    if interaction.event == "Register":
        if not interaction.state.get("identified"):
            raise errors.identifier_not_found()
        require_profile(sie.get_sign_in_experience(conn), interaction.state["profile"])
        return None
    user = _existing_user(conn, interaction)
    if interaction.event == "ForgotPassword" and not interaction.state["profile"].get(
        "passwordHash"
    ):
        raise ApiError(
            422, "user.new_password_required_in_profile", "You need to set a new password."
        )
    return user


def _gate(
    conn: Connection,
    interaction: Interaction,
    client: Client,
    user: Mapping[str, Any] | None,
    gated: bool,
    verdict: Verdict | None,
) -> dict[str, Any] | Pending:
    """The patch to apply with the change, or the sync hooks to ask first."""
    moment = PRE_EVENTS[interaction.event]
    if verdict is not None:
        if interaction.state != verdict.pending.state:
            raise ApiError(
                409,
                "session.interaction_changed",
                "The interaction changed while it was being checked. Please submit again.",
            )
        record_calls(conn, verdict)
        return verdict.patch()
    found = sync_hooks(conn, moment) if gated else ()
    if found:
        payload = pre_payload(conn, interaction, client, user)
        user_id = user["id"] if user else None
        return Pending(moment, found, payload, copy.deepcopy(interaction.state), user_id)
    if has_subscribers(conn, moment):
        emit(conn, moment, pre_payload(conn, interaction, client, user))
    return {}


def _register(
    conn: Connection, interaction: Interaction, client: Client, patch: dict[str, Any]
) -> Mapping[str, Any]:
    profile = interaction.state["profile"]
    fields = {k: profile[k] for k in IDENTIFIERS if k in profile} | patch
    user = insert_user(conn, fields, profile.get("passwordHash"))
    emit_data(conn, "User.Created", interaction, client, data=user_json(user))
    return _signed_in(conn, user["id"])


def _reset_password(
    conn: Connection,
    interaction: Interaction,
    client: Client,
    user: Mapping[str, Any],
    patch: dict[str, Any],
) -> Mapping[str, Any]:
    if patch:
        write_fields(conn, user["id"], _patched(user, patch))
    user = write_password(conn, user["id"], interaction.state["profile"]["passwordHash"])
    emit_data(conn, "User.Data.Updated", interaction, client, data=user_json(user))
    return user


def _sign_in(
    conn: Connection,
    interaction: Interaction,
    client: Client,
    user: Mapping[str, Any],
    patch: dict[str, Any],
) -> Mapping[str, Any]:
    """A sign-in that added profile fields (or was patched by a sync hook) writes them and
    fires User.Data.Updated."""
    profile = interaction.state["profile"]
    fields = {k: profile[k] for k in IDENTIFIERS if k in profile} | _patched(user, patch)
    if fields or "passwordHash" in profile:
        if fields:
            user = write_fields(conn, user["id"], fields)
        if "passwordHash" in profile:
            user = write_password(conn, user["id"], profile["passwordHash"])
        emit_data(conn, "User.Data.Updated", interaction, client, data=user_json(user))
    return _signed_in(conn, user["id"])


def _patched(user: Mapping[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A sync hook's patch over an existing user: its objects merged into the user's."""
    stored = {"customData": user["custom_data"], "profile": user["profile"]}
    return {
        key: {**(stored[key] or {}), **value} if key in stored else value
        for key, value in patch.items()
    }


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
