"""`POST /api/hook-events/logto`: a webhook of a running Logto, relayed to hookline's hooks.

A Logto webhook pointed here is authenticated by its `logto-signature-sha-256` (hex
HMAC-SHA256 of the raw body) against HOOKLINE_LOGTO_SIGNING_KEYS, not by a token: Logto
sends no other credential. Its event is stored once: the digest of the body without Logto's
`hookId` is the event's idempotency key, so Logto's retry of the same request, and the same
event sent by a second Logto webhook, are recognised and store nothing. hookline's hooks
subscribed to the event then receive it with their own `hookId` and signatures, Logto's
`createdAt` and key order kept.

Without keys the relay is off and answers 404: nothing could be verified."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request

from hookline.api.hook_events import HookEventOut, event_body
from hookline.api.responses import JSON
from hookline.errors import ApiError, invalid_input
from hookline.outbox.emit import emit

router = APIRouter(tags=["Hook events"])
log = logging.getLogger("hookline.relay")

SIGNATURE_HEADER = "logto-signature-sha-256"
# Apart from any key a client could send to POST /api/hook-events, in practice.
KEY_PREFIX = "logto-relay:sha256:"
# Logto's webhook body: the event, when it happened, the Logto hook's id, and the event's
# own keys (logto/SPEC.md §3).
LOGTO_WEBHOOK_SCHEMA = {
    "type": "object",
    "required": ["event", "createdAt"],
    "properties": {
        "event": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "hookId": {"type": "string"},
    },
    "additionalProperties": True,
}


@router.post(
    "/hook-events/logto",
    status_code=202,
    response_model=HookEventOut,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": LOGTO_WEBHOOK_SCHEMA}},
            "required": True,
        }
    },
)
async def relay(request: Request) -> Any:
    """Accept a webhook exactly as Logto sends it, signed with one of
    HOOKLINE_LOGTO_SIGNING_KEYS; a repeated body is stored once."""
    keys: list[bytes] = request.app.state.runtime.settings.logto_keys
    if not keys:
        raise ApiError(
            404,
            "entity.not_found",
            "The Logto relay is off: set HOOKLINE_LOGTO_SIGNING_KEYS to the Logto webhook's"
            " signing key.",
        )
    raw = await request.body()
    if not signed_by_one_of(keys, raw, request.headers.get(SIGNATURE_HEADER)):
        # Who sent it, never the signature nor the body.
        log.warning(
            "relayed webhook refused",
            extra={
                "action": "relay",
                "reason": "bad signature" if SIGNATURE_HEADER in request.headers else "unsigned",
                "ip": request.client.host if request.client else None,
            },
        )
        raise ApiError(
            401,
            "auth.unauthorized",
            f"The {SIGNATURE_HEADER} header is missing or does not match the body.",
        )
    event, created_at, payload = _parse(raw)
    _refuse_forgotten(created_at, request.app.state.runtime.settings.retention_days)
    key = KEY_PREFIX + hashlib.sha256(orjson.dumps(payload)).hexdigest()
    committer = request.app.state.runtime.committer
    event_id = await committer.run(
        lambda conn: emit(conn, event, payload, key, created_at=created_at)
    )
    return JSON({"id": event_id}, status_code=202)


def _refuse_forgotten(created_at: str, retention_days: float) -> None:
    """A body older than the retention period could have been stored and forgotten since:
    its idempotency key is gone with its event, so a replay of it would be stored again."""
    try:
        at = datetime.fromisoformat(created_at)
    except ValueError as exc:
        raise invalid_input('Error in key path "createdAt": must be a date-time string') from exc
    if at.tzinfo is None:
        raise invalid_input('Error in key path "createdAt": must name its time zone')
    if retention_days and datetime.now(UTC) - at > timedelta(days=retention_days):
        raise invalid_input(
            f"The webhook was sent more than {retention_days:g} days ago"
            " (HOOKLINE_RETENTION_DAYS): it may have been delivered and forgotten since."
        )


def signed_by_one_of(keys: list[bytes], body: bytes, signature: str | None) -> bool:
    """Whether `signature` is the hex HMAC-SHA256 of `body` with one of `keys`, compared in
    constant time (every key is tried, so the time tells nothing of which matched)."""
    if not signature:
        return False
    given = signature.strip().lower().encode("latin-1")
    matches = [
        hmac.compare_digest(hmac.digest(key, body, "sha256").hex().encode(), given) for key in keys
    ]
    return any(matches)


def _parse(raw: bytes) -> tuple[str, str, dict[str, Any]]:
    """The event, its `createdAt` and the payload to store: Logto's body but its `hookId`
    (each hook gets its own), the other keys in their order."""
    event, body = event_body(raw)
    created_at = body.get("createdAt")
    if not isinstance(created_at, str) or not created_at:
        raise invalid_input('Error in key path "createdAt": must be a date-time string')
    body.pop("hookId", None)
    return event, created_at, body
