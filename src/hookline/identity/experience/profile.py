"""`POST /experience/profile` and `PUT /experience/profile/password`: what the interaction
adds to or changes in the user at submit. A new password is checked against the policy and
hashed (off the transaction, through the password gate) before it is kept, as its hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from hookline.errors import ApiError
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.identifiers import check_free, well_formed
from hookline.identity.experience.interactions import (
    Client,
    Interaction,
    get_interaction,
    identified_user,
    reload_interaction,
    save_interaction,
)
from hookline.identity.experience.password_policy import check_password
from hookline.identity.experience.services import Services
from hookline.identity.identifiers import PROFILE_FIELDS


async def add_profile(
    services: Services,
    secret: str | None,
    client: Client,
    kind: str,
    value: str | None,
    verification_id: str | None,
) -> None:
    """`kind` is `username`, `password`, `email` or `phone` (the last two by verification)."""
    password_hash = None
    if kind == "password":
        password_hash = await _new_password_hash(services, secret, client, value)
    await services.committer.run(
        lambda conn: _set_profile(
            conn, get_interaction(conn, secret), kind, value, verification_id, password_hash
        )
    )


async def reset_password(
    services: Services, secret: str | None, client: Client, password: str
) -> None:
    """ForgotPassword: the new password, which must differ from the current one."""
    interaction, settings = await services.read(
        lambda conn: (get_interaction(conn, secret), sie.get_sign_in_experience(conn))
    )
    user = await services.read(lambda conn: _forgot_password_user(conn, interaction))
    check_password(settings, password, {}, user)
    services.passwords.spend(client.ip, interaction.id)
    if user["password_hash"] and await services.passwords.verify(user["password_hash"], password):
        raise errors.same_password()
    password_hash = await services.passwords.hash(password)

    def store(conn: Connection) -> None:
        current = reload_interaction(conn, interaction)
        current.state["profile"]["passwordHash"] = password_hash
        save_interaction(conn, current)

    await services.committer.run(store)


async def _new_password_hash(
    services: Services, secret: str | None, client: Client, password: str | None
) -> str:
    interaction, settings = await services.read(
        lambda conn: (get_interaction(conn, secret), sie.get_sign_in_experience(conn))
    )
    _guard_not_forgot_password(interaction)
    if password is None:
        raise errors.invalid_value("value", "Required")
    user = await services.read(lambda conn: identified_user(conn, interaction))
    check_password(settings, password, interaction.state["profile"], user)
    services.passwords.spend(client.ip, interaction.id)
    return await services.passwords.hash(password)


def _set_profile(
    conn: Connection,
    interaction: Interaction,
    kind: str,
    value: str | None,
    verification_id: str | None,
    password_hash: str | None,
) -> None:
    _guard_not_forgot_password(interaction)
    profile = interaction.state["profile"]
    user = identified_user(conn, interaction)
    own_id = user["id"] if user else None
    if kind == "password":
        profile["passwordHash"] = password_hash
    elif kind == "username":
        if not value or not well_formed("username", value):
            raise errors.invalid_value("value", "Invalid username")
        check_free(conn, "username", value, own_id)
        profile["username"] = value
    else:
        record = interaction.record(verification_id)
        if (
            not record["verified"]
            or not record["type"].endswith("VerificationCode")
            or record["identifier"]["type"] != kind
            or (value is not None and record["identifier"]["value"] != value)
        ):
            raise errors.verification_failed()
        field = PROFILE_FIELDS[kind]
        check_free(conn, field, record["identifier"]["value"], own_id)
        profile[field] = record["identifier"]["value"]
    save_interaction(conn, interaction)


def _guard_not_forgot_password(interaction: Interaction) -> None:
    if interaction.event == "ForgotPassword":
        raise errors.not_for_forgot_password()


def _forgot_password_user(conn: Connection, interaction: Interaction) -> Mapping[str, Any]:
    if interaction.event != "ForgotPassword":
        raise ApiError(
            400, "session.invalid_interaction_type", "The interaction type is not supported."
        )
    user = identified_user(conn, interaction)
    if user is None:
        raise errors.identifier_not_found()
    return user
