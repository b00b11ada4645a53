"""Password verifications: signing in with a password, or choosing one to register with.

Hashing and verifying run off the transaction, in the password gate's threads, after the
client's and the interaction's attempt budgets are spent (`PasswordGate.spend`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hookline.errors import ApiError
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.identifiers import check_free, find_user
from hookline.identity.experience.interactions import (
    Client,
    get_interaction,
    reload_interaction,
    save_interaction,
)
from hookline.identity.experience.lockout import record_attempt
from hookline.identity.experience.password_policy import check_password
from hookline.identity.experience.services import Services, commit_or_refuse
from hookline.identity.identifiers import PROFILE_FIELDS
from hookline.identity.users import upgrade_password_hash
from hookline.ids import random_id


async def verify_password(
    services: Services,
    secret: str | None,
    client: Client,
    identifier: dict[str, str],
    password: str,
) -> str:
    """`POST /experience/verification/password`: the verification id. A failed attempt is
    recorded (and may fire `Identifier.Lockout`) before it is answered with its error."""
    interaction = await services.read(lambda conn: get_interaction(conn, secret))
    services.passwords.spend(client.ip, interaction.id)
    user = await services.read(lambda conn: find_user(conn, identifier))
    # As slow with no such user (or one without a password): the time tells nothing.
    matched, refreshed = await services.passwords.verify_and_refresh(
        user["password_hash"] if user else None, password
    )
    suspended = matched and bool(user and user["is_suspended"])

    def settle(conn: Connection) -> str | ApiError:
        current = reload_interaction(conn, interaction)
        failed = not matched or suspended
        refusal = record_attempt(conn, current, client, "Password", identifier, failed)
        if refusal is None and failed:
            refusal = errors.suspended() if suspended else errors.invalid_credentials()
        if refusal is not None:
            return refusal
        if refreshed is not None and user is not None:
            upgrade_password_hash(conn, user["id"], user["password_hash"], refreshed)
        record: dict[str, Any] = {
            "id": random_id(21),
            "type": "Password",
            "identifier": identifier,
            "verified": True,
        }
        current.add_record(record)
        save_interaction(conn, current)
        return record["id"]

    return await commit_or_refuse(services, settle)


async def new_password_identity(
    services: Services,
    secret: str | None,
    client: Client,
    identifier: dict[str, str],
    password: str,
) -> str:
    """`POST /experience/verification/new-password-identity`: register with an identifier
    and a password (Logto's username sign-up); the verification id."""
    interaction, settings = await services.read(
        lambda conn: (get_interaction(conn, secret), sie.get_sign_in_experience(conn))
    )
    field = PROFILE_FIELDS[identifier["type"]]
    await services.read(lambda conn: check_free(conn, field, identifier["value"]))
    check_password(settings, password, {field: identifier["value"]}, None)
    services.passwords.spend(client.ip, interaction.id)
    password_hash = await services.passwords.hash(password)

    def store(conn: Connection) -> str:
        current = reload_interaction(conn, interaction)
        record: dict[str, Any] = {
            "id": random_id(21),
            "type": "NewPasswordIdentity",
            "identifier": identifier,
            "verified": True,
            "passwordHash": password_hash,
        }
        current.add_record(record)
        save_interaction(conn, current)
        return record["id"]

    return await services.committer.run(store)
