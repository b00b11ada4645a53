"""`POST /experience/identification`: who is signing in (the user a verification found),
or, for Register, that the new user's profile is complete and free to take."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hookline.errors import ApiError
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.identifiers import check_free, find_user
from hookline.identity.experience.interactions import (
    Interaction,
    get_interaction,
    save_interaction,
)
from hookline.identity.identifiers import IDENTIFIERS, PROFILE_FIELDS


def identify(conn: Connection, secret: str | None, verification_id: str | None) -> bool:
    """True when a Register interaction was identified (answered 201), else False (204)."""
    interaction = get_interaction(conn, secret)
    if interaction.event == "Register":
        _identify_new_user(conn, interaction, verification_id)
    else:
        _identify_user(conn, interaction, verification_id)
    save_interaction(conn, interaction)
    return interaction.event == "Register"


def require_profile(settings: dict[str, Any], profile: dict[str, Any]) -> None:
    """422 `user.missing_profile` unless `profile` has what the sign-up settings ask for."""
    missing = _missing_profile(settings, profile)
    if missing:
        raise ApiError(
            422,
            "user.missing_profile",
            "You need to provide additional info before signing-in.",
            {"missingProfile": missing},
        )


def _identify_user(conn: Connection, interaction: Interaction, verification_id: str | None) -> None:
    record = interaction.record(verification_id)
    if not record["verified"] or record["type"] == "NewPasswordIdentity":
        raise errors.verification_failed()
    identifier = record["identifier"]
    user = find_user(conn, identifier)
    if user is None:
        raise errors.user_not_exist(identifier["value"])
    if user["is_suspended"]:
        raise errors.suspended()
    if interaction.state.get("userId") not in (None, user["id"]):
        raise ApiError(
            409, "session.identity_conflict", "Identity mismatch, please use the same identity."
        )
    interaction.state["userId"] = user["id"]


def _identify_new_user(
    conn: Connection, interaction: Interaction, verification_id: str | None
) -> None:
    profile = interaction.state["profile"]
    if verification_id is not None:
        record = interaction.record(verification_id)
        if not record["verified"] or record["type"] == "Password":
            raise errors.verification_failed()
        identifier = record["identifier"]
        profile[PROFILE_FIELDS[identifier["type"]]] = identifier["value"]
        if record["type"] == "NewPasswordIdentity":
            profile["passwordHash"] = record["passwordHash"]
    for field in IDENTIFIERS:
        if profile.get(field):
            check_free(conn, field, profile[field])
    require_profile(sie.get_sign_in_experience(conn), profile)
    interaction.state["identified"] = True


def _missing_profile(settings: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    sign_up = settings["signUp"]
    wanted = list(sign_up["identifiers"])
    missing: list[str] = []
    if "email" in wanted and "phone" in wanted:
        wanted = [w for w in wanted if w not in ("email", "phone")]
        if not (profile.get("primaryEmail") or profile.get("primaryPhone")):
            missing.append("emailOrPhone")
    for kind in wanted:
        if not profile.get(PROFILE_FIELDS[kind]):
            missing.append(kind)
    if sign_up["password"] and not profile.get("passwordHash"):
        missing.append("password")
    return missing
