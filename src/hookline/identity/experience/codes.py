"""Verification codes: sent by email or SMS, then checked.

Sends to one recipient are limited (`messageRateLimitPolicy`): one over the limit fires
`Message.RateLimited` and is answered 429. The message goes out between two transactions,
so that no transaction waits for a connector.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hookline.db.tables import verification_codes
from hookline.errors import ApiError
from hookline.identity import sentinel
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.experience.events import emit_data
from hookline.identity.experience.interactions import (
    Client,
    Interaction,
    get_interaction,
    save_interaction,
)
from hookline.identity.experience.lockout import record_attempt
from hookline.identity.experience.services import Services, commit_or_refuse
from hookline.identity.messages import Message, MessageError, connector
from hookline.ids import now_ms, random_id

log = logging.getLogger("hookline.experience")

CODE_TTL_MS = 600_000


async def send_code(
    services: Services,
    secret: str | None,
    client: Client,
    identifier: dict[str, str],
    event: str,
) -> str:
    """`POST /experience/verification/verification-code`: the verification id."""
    recipient = identifier["value"]
    await commit_or_refuse(
        services, lambda conn: _within_rate_limit(conn, secret, client, recipient)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    kind = "email" if identifier["type"] == "email" else "sms"
    try:
        await connector(services.settings).send(Message(recipient, event, code, kind))
    except MessageError as exc:
        log.error("message not sent: %s", exc, extra={"action": "send_code"})
        raise ApiError(500, "connector.general", f"Errors occurred in connector: {exc}") from exc

    def store(conn: Connection) -> str:
        interaction = get_interaction(conn, secret)
        sentinel.record_send(conn, recipient)
        return _store_code(conn, interaction, identifier, code, event)

    return await services.committer.run(store)


async def verify_code(
    services: Services,
    secret: str | None,
    client: Client,
    identifier: dict[str, str],
    verification_id: str,
    code: str,
) -> str:
    """`POST /experience/verification/verification-code/verify`: the verification id. A
    wrong code is recorded (and may fire `Identifier.Lockout`) before it is answered."""

    def check(conn: Connection) -> str | ApiError:
        interaction = get_interaction(conn, secret)
        record = interaction.record(verification_id)
        if not record["type"].endswith("VerificationCode") or record["identifier"] != identifier:
            raise errors.verification_not_found()
        wrong = _wrong_code(conn, record, code)
        refusal = record_attempt(
            conn, interaction, client, "VerificationCode", identifier, wrong is not None
        )
        if refusal is not None:
            return refusal
        if wrong is not None:
            return wrong
        conn.execute(
            update(verification_codes)
            .where(verification_codes.c.id == record["codeId"])
            .values(consumed=True)
        )
        record["verified"] = True
        save_interaction(conn, interaction)
        return record["id"]

    return await commit_or_refuse(services, check)


def _within_rate_limit(
    conn: Connection, secret: str | None, client: Client, recipient: str
) -> ApiError | None:
    interaction = get_interaction(conn, secret)
    policy = sie.rate_limit_policy(sie.get_sign_in_experience(conn))
    if (
        sentinel.sends_within(conn, recipient, policy["sendWindow"])
        < policy["maxSendsPerRecipient"]
    ):
        return None
    emit_data(
        conn,
        "Message.RateLimited",
        interaction,
        client,
        action="VerificationCodeSend",
        recipient=recipient,
    )
    return ApiError(
        429,
        "request.message_rate_limited",
        "Too many messages sent to this recipient. Please try again later.",
    )


def _store_code(
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
    record: dict[str, Any] = {
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
    save_interaction(conn, interaction)
    return record["id"]


def _wrong_code(conn: Connection, record: dict[str, Any], code: str) -> ApiError | None:
    """None if `code` is the record's; otherwise why not."""
    row = conn.execute(
        select(verification_codes).where(verification_codes.c.id == record.get("codeId"))
    ).first()
    if row is None or row.consumed:
        return ApiError(
            400,
            "verification_code.not_found",
            "Verification code not found. Please send verification code first.",
        )
    if row.expires_at <= now_ms():
        return ApiError(
            400,
            "verification_code.expired",
            "Verification code has expired. Please send a new verification code.",
        )
    if not secrets.compare_digest(row.code, code):
        return ApiError(400, "verification_code.code_mismatch", "Invalid verification code.")
    return None
