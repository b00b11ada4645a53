"""`POST /hooks/:id/test`: Logto's fixed fake payloads, signed and sent now, never logged."""

from __future__ import annotations

import asyncio

import orjson

from hookline.errors import ApiError
from hookline.events.payloads import iso_now, test_payload
from hookline.hooks.service import SigningKeys
from hookline.hooks.validation import HookTest
from hookline.ids import now_ms, sortable_id
from hookline.sender.outcome import Failure
from hookline.sender.request import Target, build
from hookline.sender.transport import Transport


async def send_test(
    transport: Transport,
    hook_id: str,
    keys: SigningKeys,
    body: HookTest,
    user_agent: str,
) -> None:
    """Send one test payload per event in parallel, signed as deliveries are (with the
    stored hook's keys); raise Logto's 422 on the first failure."""
    target = Target(
        body.config.url,
        keys.signing_key,
        body.config.headers,
        hook_id,
        keys.previous_key,
        keys.ed25519_key,
        keys.previous_ed25519_key,
    )
    created_at, now = iso_now(), now_ms()
    requests = [
        build(
            target,
            orjson.dumps(test_payload(e, hook_id, now, created_at)),
            sortable_id("msg"),
            user_agent,
        )
        for e in body.events
    ]
    outcomes = await asyncio.gather(*(transport.send(r) for r in requests))
    for outcome in outcomes:
        if outcome.failure is Failure.HTTP_STATUS:
            raise ApiError(
                422,
                "hook.endpoint_responded_with_error",
                "Endpoint responded with error.",
                {"responseStatus": outcome.status, "responseBody": outcome.body or ""},
            )
        if outcome.failure is not None:
            raise ApiError(
                422,
                "hook.send_test_payload_failed",
                f"Failed to send test payload: {outcome.error_text()}",
            )
