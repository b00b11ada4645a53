"""Brute-force protection for the sign-in flows: every password or code check is recorded
(`identity.sentinel`), and the one that reaches the limit fires `Identifier.Lockout`."""

from __future__ import annotations

from sqlalchemy import Connection

from hookline.errors import ApiError
from hookline.identity import sentinel
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience.events import emit_data
from hookline.identity.experience.identifiers import find_user
from hookline.identity.experience.interactions import Client, Interaction
from hookline.ids import now_ms


def record_attempt(
    conn: Connection,
    interaction: Interaction,
    client: Client,
    action: str,
    identifier: dict[str, str],
    failed: bool,
) -> ApiError | None:
    """Record one `action` (`Password`, `VerificationCode`) against the identity
    `identifier` resolves to; the refusal to answer when it is locked out, else None."""
    policy = sie.sentinel_policy(sie.get_sign_in_experience(conn))
    user = find_user(conn, identifier)
    target = sentinel.lockout_target(identifier, user["id"] if user else None)
    until = sentinel.report(conn, action, target, failed, policy)
    if until is None:
        return None
    emit_data(conn, "Identifier.Lockout", interaction, client, **identifier)
    return _blocked(until)


def _blocked(until_ms: int) -> ApiError:
    minutes = round((until_ms - now_ms()) / 60_000)
    unit = "minute" if minutes == 1 else "minutes"
    return ApiError(
        400,
        "session.verification_blocked_too_many_attempts",
        f"Too many attempts in a short time. Please try again in {minutes} {unit}.",
    )
