"""`POST /hooks/:id/test`: Logto's fixed fake payloads, signed and sent now, never logged; for
a synchronous hook, a dry run that answers the decision its receiver gives."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from hookline.errors import ApiError
from hookline.events.payloads import iso_now, test_payload
from hookline.hooks.service import SigningKeys
from hookline.hooks.validation import HookTest, check_sync
from hookline.ids import now_ms, sortable_id
from hookline.sender.outcome import Failure
from hookline.sender.request import Target, build
from hookline.sender.sync import DEFAULT_TIMEOUT_MS, DENY, Policy, call
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
    target = _target(hook_id, keys, body)
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


async def dry_run(
    transport: Transport,
    hook_id: str,
    keys: SigningKeys,
    body: HookTest,
    user_agent: str,
) -> list[dict[str, Any]]:
    """Call the synchronous hook `body` describes with the sample context of each of its
    events, as a flow would (deadline, retries, signed answers); what each call decided."""
    config = body.config
    check_sync(body.events, None, config.stored())
    target = _target(hook_id, keys, body)
    policy = Policy(
        config.timeoutMs or DEFAULT_TIMEOUT_MS,
        config.onError or DENY,
        bool(config.requireSignedAnswer),
    )
    created_at, now = iso_now(), now_ms()
    calls = await asyncio.gather(
        *(
            call(
                transport,
                target,
                orjson.dumps(test_payload(e, hook_id, now, created_at)),
                sortable_id("msg"),
                user_agent,
                policy,
            )
            for e in body.events
        )
    )
    results = []
    for event, done in zip(body.events, calls, strict=True):
        decision, last = done.decision, done.attempts[-1]
        shown: dict[str, Any] = {"action": decision.action, "reason": decision.reason}
        if decision.allowed:
            shown["patch"] = decision.patch
        else:
            shown |= {"code": decision.code, "message": decision.message, "field": decision.field}
        results.append(
            {
                "event": event,
                "decision": shown,
                "attempts": len(done.attempts),
                "responseStatus": last.status,
                "durationMs": round(sum(a.duration_ms for a in done.attempts), 3),
            }
        )
    return results


def _target(hook_id: str, keys: SigningKeys, body: HookTest) -> Target:
    return Target(body.config.url, keys.signing_key, body.config.headers, hook_id, *keys[1:])
