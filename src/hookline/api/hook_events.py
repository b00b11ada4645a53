"""`POST /api/hook-events`: events from other systems, into the outbox."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from hookline.api.bodies import parse_json
from hookline.api.responses import JSON
from hookline.errors import invalid_input
from hookline.events.catalog import EVENT_SET
from hookline.outbox.emit import emit

router = APIRouter(tags=["Hook events"])

RESERVED_KEYS = ("event", "createdAt", "hookId")


class HookEventIn(BaseModel):
    """The documented body; parsed by hand below to keep this hot route lean."""

    event: str
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotencyKey: str | None = Field(default=None, max_length=256)


class HookEventOut(BaseModel):
    id: str


@router.post(
    "/hook-events",
    status_code=202,
    response_model=HookEventOut,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": HookEventIn.model_json_schema()}},
            "required": True,
        }
    },
)
async def ingest(request: Request) -> Any:
    """Accept an event for delivery to every enabled hook subscribed to it."""
    event, payload, key = _parse(await request.body())
    committer = request.app.state.runtime.committer
    event_id = await committer.run(lambda conn: emit(conn, event, payload, key))
    return JSON({"id": event_id}, status_code=202)


def event_body(raw: bytes) -> tuple[str, dict[str, Any]]:
    """A JSON object naming a known `event`, and that object; 400 for anything else."""
    try:
        body = parse_json(raw)
    except json.JSONDecodeError as exc:
        raise invalid_input(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_input("the body must be a JSON object")
    event = body.get("event")
    if not isinstance(event, str) or event not in EVENT_SET:
        raise invalid_input(f'Error in key path "event": unknown event {event!r}')
    return event, body


def _parse(raw: bytes) -> tuple[str, dict[str, Any], str | None]:
    event, body = event_body(raw)
    payload, key = body.get("payload", {}), body.get("idempotencyKey")
    if not isinstance(payload, dict):
        raise invalid_input('Error in key path "payload": must be an object')
    if reserved := [k for k in RESERVED_KEYS if k in payload]:
        raise invalid_input(f'Error in key path "payload": reserved keys {reserved}')
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 256):
        raise invalid_input('Error in key path "idempotencyKey": a string of 1 to 256 characters')
    return event, payload, key
