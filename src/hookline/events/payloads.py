"""Webhook bodies in Logto's key order. Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from hookline.events.catalog import is_interaction
from hookline.events.context import Context


def iso_now() -> str:
    """Logto's `createdAt`: ISO-8601 UTC with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_body(event: str, created_at: str, payload: dict[str, Any]) -> bytes:
    """`{"event", "createdAt", …payload}` as compact JSON; `with_hook_id` closes it per hook.

    A payload that holds `event` or `createdAt` keys (with any value) keeps them where they
    stand, for bodies whose order differs (Logto's interaction events put `interactionEvent`
    before `createdAt`).
    """
    if "event" not in payload and "createdAt" not in payload:
        return orjson.dumps({"event": event, "createdAt": created_at, **payload})
    body = payload if "event" in payload else {"event": event, **payload}
    return orjson.dumps({**body, "event": event, "createdAt": created_at})


def with_hook_id(body: bytes, hook_id: str) -> bytes:
    """Append `hookId` as the last key, without parsing the body again."""
    return b'%s,"hookId":"%s"}' % (body[:-1], hook_id.encode())


# `data` left out of a payload (Logto sends none for 204 answers), as opposed to `data: null`.
NO_DATA: Any = object()


def management_payload(
    context: Context, data: Any = NO_DATA, data_first: bool = False, **extra: Any
) -> dict[str, Any]:
    """A data event from the Management API, keys in Logto's order (hookId comes later).

    `data_first` puts `data` before the request context, as Logto's hand-made `User.Deleted`.
    """
    payload = context.fields()
    if data_first and data is not NO_DATA:
        payload["data"] = data
    payload |= context.route_fields()
    payload |= extra
    if not data_first and data is not NO_DATA:
        payload["data"] = data
    return payload


def test_payload(event: str, hook_id: str, now_ms: int, created_at: str) -> dict[str, Any]:
    """The fixed fake payload Logto sends from `POST /hooks/:id/test` (hookId second)."""
    if is_interaction(event):
        return {
            "event": event,
            "hookId": hook_id,
            "createdAt": created_at,
            "userAgent": "fake-user-agent",
            "sessionId": "fake-session-id",
            "userIp": "fake-user-ip",
            "userId": "fake-id",
            "user": {
                "id": "fake-id",
                "username": "fake-user",
                "primaryEmail": "fake-user@fake-service.com",
                "primaryPhone": "1234567890",
                "name": "Fake User",
                "avatar": "https://fake-service.com/avatars/fake-user.png",
                "customData": {"theme": "light"},
                "identities": {"google": {"userId": "fake-google-user-id"}},
                "profile": {},
                "applicationId": "fake-application-id",
                "isSuspended": False,
                "lastSignInAt": now_ms,
                "createdAt": now_ms,
                "updatedAt": now_ms,
            },
            "application": {
                "id": "fake-spa-application-id",
                "type": "SPA",
                "name": "Fake Application",
                "description": "Fake application data for testing",
            },
        }
    return {
        "event": event,
        "hookId": hook_id,
        "createdAt": created_at,
        "userAgent": "fake-user-agent",
        "path": "/fake-path/:id",
        "method": "POST",
        "status": 200,
        "params": {"id": "fake-id"},
        "data": {"result": "success"},
    }
