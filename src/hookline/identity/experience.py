"""Sign-in flows (Logto's Experience API): interactions, verifications, identification,
profile, submit, and the webhook payloads they produce.

An interaction is a row of `interactions`; its `state` holds `userId` (once identified),
`identified` (Register: the new user's profile was accepted), `profile` (API field names;
a new password only as its hash, `passwordHash`) and `verifications` (records with an `id`,
a `type`, the `identifier` and `verified`). SQL on the caller's connection; nothing commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from hookline.db.tables import applications, interactions, users, verification_codes
from hookline.errors import ApiError, invalid_input, not_exists_with_id
from hookline.identity import sign_in_experience as sie
from hookline.identity.users import (
    IN_USE,
    get_user,
    insert_user,
    user_json,
    write_fields,
    write_password,
)
from hookline.ids import now_ms, random_id

EVENTS = ("SignIn", "Register", "ForgotPassword")
INTERACTION_TTL_MS = 3_600_000
CODE_TTL_MS = 600_000
# Logto's expressions with JavaScript's ASCII-only `\w` and `\d` spelled out; a username has
# at most 128 characters, the width of the column it is stored in at submit.
USERNAME = re.compile(r"^[A-Z_a-z][0-9A-Z_a-z]{0,127}$")
EMAIL = re.compile(r"^\S+@\S+\.\S+$")
PHONE = re.compile(r"^[0-9]+$")
PROFILE_FIELDS = {"username": "username", "email": "primaryEmail", "phone": "primaryPhone"}
POST_EVENTS = {
    "SignIn": "PostSignIn",
    "Register": "PostRegister",
    "ForgotPassword": "PostResetPassword",
}


@dataclass
class Interaction:
    id: str
    event: str
    application_id: str | None
    state: dict[str, Any]

    def record(self, verification_id: str | None) -> dict[str, Any]:
        for record in self.state["verifications"]:
            if record["id"] == verification_id:
                return record
        raise verification_not_found()

    def add_record(self, record: dict[str, Any]) -> None:
        # One record per type, as Logto: a new one replaces the old.
        kept = [r for r in self.state["verifications"] if r["type"] != record["type"]]
        self.state["verifications"] = [*kept, record]


@dataclass(frozen=True)
class Client:
    """Who is signing in, as the webhook payloads name them."""

    user_agent: str | None
    ip: str | None


def verification_not_found() -> ApiError:
    return ApiError(
        404,
        "session.verification_session_not_found",
        "The verification was not successful. Restart the verification flow and try again.",
    )


def _error(status: int, code: str, message: str, data: Any = None) -> ApiError:
    return ApiError(status, code, message, data)


def interaction_not_found() -> ApiError:
    return _error(
        404,
        "session.interaction_not_found",
        "Interaction session not found. Please go back and start the session again.",
    )


def _identifier_not_found() -> ApiError:
    return _error(
        404,
        "session.identifier_not_found",
        "User identifier not found. Please go back and sign in again.",
    )


def _verification_failed() -> ApiError:
    return _error(
        400,
        "session.verification_failed",
        "The verification was not successful. Restart the verification flow and try again.",
    )


def _suspended() -> ApiError:
    return _error(401, "user.suspended", "This account is suspended.")


# Interactions.


def guard_event(settings: dict[str, Any], event: str) -> None:
    mode = settings["signInMode"]
    if (event == "Register" and mode == "SignIn") or (event == "SignIn" and mode == "Register"):
        raise _error(403, "auth.forbidden", "Forbidden.")


def start(conn: Connection, event: str, application_id: str | None) -> Interaction:
    guard_event(sie.load(conn), event)
    if application_id is not None:
        find_application(conn, application_id)
    now = now_ms()
    interaction = Interaction(
        random_id(21),
        event,
        application_id,
        {"profile": {}, "verifications": []},
    )
    conn.execute(
        insert(interactions).values(
            id=interaction.id,
            interaction_event=event,
            application_id=application_id,
            state=interaction.state,
            created_at=now,
            expires_at=now + INTERACTION_TTL_MS,
        )
    )
    return interaction


def load(conn: Connection, interaction_id: str | None) -> Interaction:
    if not interaction_id:
        raise interaction_not_found()
    row = conn.execute(
        select(interactions).where(
            interactions.c.id == interaction_id, interactions.c.expires_at > now_ms()
        )
    ).first()
    if row is None:
        raise interaction_not_found()
    return Interaction(row.id, row.interaction_event, row.application_id, dict(row.state))


def save(conn: Connection, interaction: Interaction) -> None:
    conn.execute(
        update(interactions)
        .where(interactions.c.id == interaction.id)
        .values(interaction_event=interaction.event, state=interaction.state)
    )


def set_event(conn: Connection, interaction: Interaction, event: str) -> None:
    """`PUT /experience/interaction-event`: ForgotPassword cannot swap with the others."""
    guard_event(sie.load(conn), event)
    if (event == "ForgotPassword") != (interaction.event == "ForgotPassword"):
        raise _error(
            400,
            "session.not_supported_for_forgot_password",
            "This operation is not supported for forgot password.",
        )
    interaction.event = event
    save(conn, interaction)


def find_application(conn: Connection, application_id: str) -> Mapping[str, Any]:
    row = (
        conn.execute(
            select(applications).where(
                applications.c.id == application_id, applications.c.is_bootstrap.is_(False)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise not_exists_with_id("application", application_id)
    return row


def application_projection(conn: Connection, interaction: Interaction) -> dict[str, Any] | None:
    if interaction.application_id is None:
        return None
    row = conn.execute(
        select(applications).where(applications.c.id == interaction.application_id)
    ).first()
    if row is None:
        return None
    return {"id": row.id, "type": row.type, "name": row.name, "description": row.description}


def redirect_to(conn: Connection, interaction: Interaction, base_url: str) -> str:
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


# Users by sign-in identifier.


def user_by_identifier(conn: Connection, kind: str, value: str) -> Mapping[str, Any] | None:
    if kind == "username":
        condition = users.c.username == value
    elif kind == "email":
        condition = func.lower(users.c.primary_email) == value.lower()
    else:
        condition = users.c.primary_phone == value
    return conn.execute(select(users).where(condition).limit(1)).mappings().first()


def user_not_exist(value: str) -> ApiError:
    return _error(
        404, "user.user_not_exist", f"User with {value} does not exist.", {"identifier": value}
    )


_KIND = {"username": "username", "primaryEmail": "email", "primaryPhone": "phone"}


def check_free(conn: Connection, field: str, value: str, own_id: str | None = None) -> None:
    """422 when another user already holds this username, email or phone."""
    holder = user_by_identifier(conn, _KIND[field], value)
    if holder is not None and holder["id"] != own_id:
        raise _error(422, *IN_USE[field])


def user_info(profile: dict[str, Any], user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The personal values a password must not contain."""
    user = user or {}
    return {
        "username": profile.get("username") or user.get("username"),
        "email": profile.get("primaryEmail") or user.get("primary_email"),
        "phoneNumber": profile.get("primaryPhone") or user.get("primary_phone"),
        "name": user.get("name"),
    }


# Verifications.


def password_record(identifier: dict[str, str]) -> dict[str, Any]:
    return {"id": random_id(21), "type": "Password", "identifier": identifier, "verified": True}


def new_password_record(identifier: dict[str, str], password_hash: str) -> dict[str, Any]:
    return {
        "id": random_id(21),
        "type": "NewPasswordIdentity",
        "identifier": identifier,
        "verified": True,
        "passwordHash": password_hash,
    }


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def store_code(
    conn: Connection, interaction: Interaction, identifier: dict[str, str], code: str, event: str
) -> str:
    """Keep a sent code and its verification record; return the verification id."""
    now = now_ms()
    code_id = random_id(21)
    conn.execute(
        insert(verification_codes).values(
            id=code_id,
            interaction_id=interaction.id,
            identifier_type=identifier["type"],
            identifier=identifier["value"],
            code=code,
            consumed=False,
            created_at=now,
            expires_at=now + CODE_TTL_MS,
        )
    )
    record = {
        "id": random_id(21),
        "type": "EmailVerificationCode"
        if identifier["type"] == "email"
        else "PhoneVerificationCode",
        "identifier": identifier,
        "verified": False,
        "codeId": code_id,
        "interactionEvent": event,
    }
    interaction.add_record(record)
    save(conn, interaction)
    return record["id"]


def code_record(
    interaction: Interaction, verification_id: str, identifier: dict[str, str]
) -> dict[str, Any]:
    record = interaction.record(verification_id)
    if not record["type"].endswith("VerificationCode") or record["identifier"] != identifier:
        raise verification_not_found()
    return record


def check_code(conn: Connection, record: dict[str, Any], code: str) -> ApiError | None:
    """None if `code` is right; otherwise the error to answer (the caller reports it)."""
    row = conn.execute(
        select(verification_codes).where(verification_codes.c.id == record.get("codeId"))
    ).first()
    if row is None or row.consumed:
        return _error(
            400,
            "verification_code.not_found",
            "Verification code not found. Please send verification code first.",
        )
    if row.expires_at <= now_ms():
        return _error(
            400,
            "verification_code.expired",
            "Verification code has expired. Please send a new verification code.",
        )
    if not secrets.compare_digest(row.code, code):
        return _error(400, "verification_code.code_mismatch", "Invalid verification code.")
    return None


def mark_verified(conn: Connection, interaction: Interaction, record: dict[str, Any]) -> None:
    conn.execute(
        update(verification_codes)
        .where(verification_codes.c.id == record["codeId"])
        .values(consumed=True)
    )
    record["verified"] = True
    save(conn, interaction)


# Identification.


def identify(conn: Connection, interaction: Interaction, verification_id: str | None) -> int:
    """`POST /experience/identification`; returns the status (201 Register, else 204)."""
    state = interaction.state
    if interaction.event != "Register":
        record = interaction.record(verification_id)
        if not record["verified"] or record["type"] == "NewPasswordIdentity":
            raise _verification_failed()
        identifier = record["identifier"]
        user = user_by_identifier(conn, identifier["type"], identifier["value"])
        if user is None:
            raise user_not_exist(identifier["value"])
        if user["is_suspended"]:
            raise _suspended()
        if state.get("userId") not in (None, user["id"]):
            raise _error(
                409, "session.identity_conflict", "Identity mismatch, please use the same identity."
            )
        state["userId"] = user["id"]
        save(conn, interaction)
        return 204
    profile = state["profile"]
    if verification_id is not None:
        record = interaction.record(verification_id)
        if not record["verified"] or record["type"] == "Password":
            raise _verification_failed()
        identifier = record["identifier"]
        profile[PROFILE_FIELDS[identifier["type"]]] = identifier["value"]
        if record["type"] == "NewPasswordIdentity":
            profile["passwordHash"] = record["passwordHash"]
    for field in ("username", "primaryEmail", "primaryPhone"):
        if profile.get(field):
            check_free(conn, field, profile[field])
    require_profile(sie.load(conn), profile)
    state["identified"] = True
    save(conn, interaction)
    return 201


def missing_profile(settings: dict[str, Any], profile: dict[str, Any]) -> list[str]:
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


def require_profile(settings: dict[str, Any], profile: dict[str, Any]) -> None:
    missing = missing_profile(settings, profile)
    if missing:
        raise _error(
            422,
            "user.missing_profile",
            "You need to provide additional info before signing-in.",
            {"missingProfile": missing},
        )


# Profile.


def guard_not_forgot_password(interaction: Interaction) -> None:
    if interaction.event == "ForgotPassword":
        raise _error(
            400,
            "session.not_supported_for_forgot_password",
            "This operation is not supported for forgot password.",
        )


def identified_user(conn: Connection, interaction: Interaction) -> Mapping[str, Any] | None:
    user_id = interaction.state.get("userId")
    return get_user(conn, user_id) if user_id else None


def set_profile(
    conn: Connection,
    interaction: Interaction,
    kind: str,
    value: str | None,
    verification_id: str | None,
    password_hash: str | None = None,
) -> None:
    """`POST /experience/profile` (a password arrives already checked and hashed)."""
    guard_not_forgot_password(interaction)
    profile = interaction.state["profile"]
    user = identified_user(conn, interaction)
    own_id = user["id"] if user else None
    if kind == "password":
        profile["passwordHash"] = password_hash
    elif kind == "username":
        if not value or not USERNAME.fullmatch(value):
            raise invalid_value("value", "Invalid username")
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
            raise _verification_failed()
        field = PROFILE_FIELDS[kind]
        check_free(conn, field, record["identifier"]["value"], own_id)
        profile[field] = record["identifier"]["value"]
    save(conn, interaction)


def invalid_value(key: str, why: str) -> ApiError:
    return invalid_input(f'Error in key path "{key}": {why}')


def forgot_password_user(conn: Connection, interaction: Interaction) -> Mapping[str, Any]:
    """The user whose password `PUT /experience/profile/password` resets."""
    if interaction.event != "ForgotPassword":
        raise _error(
            400, "session.invalid_interaction_type", "The interaction type is not supported."
        )
    user = identified_user(conn, interaction)
    if user is None:
        raise _identifier_not_found()
    return user


def same_password() -> ApiError:
    return _error(
        422, "user.same_password", "New password cannot be the same as your old password."
    )


# Submit.


def interaction_payload(
    interaction: Interaction,
    client: Client,
    app: dict[str, Any] | None,
    user: Mapping[str, Any],
) -> dict[str, Any]:
    """PostRegister / PostSignIn / PostResetPassword, in Logto's key order."""
    payload: dict[str, Any] = {
        "event": None,
        "interactionEvent": interaction.event,
        "createdAt": None,
        "sessionId": interaction.id,
    }
    if client.user_agent is not None:
        payload["userAgent"] = client.user_agent
    payload |= {"userId": user["id"], "userIp": client.ip, "user": user_json(user)}
    if app is not None:
        payload["application"] = app
    return payload


def data_payload(
    interaction: Interaction, client: Client, app: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    """A data or exception event sent from the Experience API (event, createdAt go first)."""
    payload: dict[str, Any] = {"interactionEvent": interaction.event}
    if client.user_agent is not None:
        payload["userAgent"] = client.user_agent
    if app is not None:
        payload["applicationId"] = app["id"]
    payload |= {"sessionId": interaction.id, "ip": client.ip}
    if app is not None:
        payload["application"] = app
    return payload | extra


def submit(conn: Connection, interaction: Interaction, client: Client) -> list[tuple[str, dict]]:
    """Apply the interaction; return the events to emit, in order (same transaction)."""
    state, profile = interaction.state, interaction.state["profile"]
    app = application_projection(conn, interaction)
    events: list[tuple[str, dict]] = []
    post = POST_EVENTS[interaction.event]
    if interaction.event == "Register":
        if not state.get("identified"):
            raise _identifier_not_found()
        require_profile(sie.load(conn), profile)
        fields = {
            k: profile[k] for k in ("username", "primaryEmail", "primaryPhone") if k in profile
        }
        user = insert_user(conn, fields, profile.get("passwordHash"))
        events.append(
            ("User.Created", data_payload(interaction, client, app, data=user_json(user)))
        )
        user = _signed_in(conn, user["id"])
    else:
        user = identified_user(conn, interaction)
        if user is None:
            raise _identifier_not_found()
        if user["is_suspended"]:
            raise _suspended()
        if interaction.event == "ForgotPassword":
            if not profile.get("passwordHash"):
                raise _error(
                    422,
                    "user.new_password_required_in_profile",
                    "You need to set a new password.",
                )
            user = write_password(conn, user["id"], profile["passwordHash"])
            events.append(
                (
                    "User.Data.Updated",
                    data_payload(interaction, client, app, data=user_json(user)),
                )
            )
        else:
            user = _apply_profile(conn, interaction, client, app, user, events)
            user = _signed_in(conn, user["id"])
    events.append((post, interaction_payload(interaction, client, app, user)))
    conn.execute(
        delete(verification_codes).where(verification_codes.c.interaction_id == interaction.id)
    )
    conn.execute(delete(interactions).where(interactions.c.id == interaction.id))
    return events


def _apply_profile(
    conn: Connection,
    interaction: Interaction,
    client: Client,
    app: dict[str, Any] | None,
    user: Mapping[str, Any],
    events: list[tuple[str, dict]],
) -> Mapping[str, Any]:
    """A sign-in that added profile fields writes them and fires User.Data.Updated."""
    profile = interaction.state["profile"]
    fields = {k: profile[k] for k in ("username", "primaryEmail", "primaryPhone") if k in profile}
    if not fields and "passwordHash" not in profile:
        return user
    if fields:
        user = write_fields(conn, user["id"], fields)
    if "passwordHash" in profile:
        user = write_password(conn, user["id"], profile["passwordHash"])
    events.append(
        ("User.Data.Updated", data_payload(interaction, client, app, data=user_json(user)))
    )
    return user


def _signed_in(conn: Connection, user_id: str) -> Mapping[str, Any]:
    now = now_ms()
    conn.execute(
        update(users).where(users.c.id == user_id).values(last_sign_in_at=now, updated_at=now)
    )
    return get_user(conn, user_id)
