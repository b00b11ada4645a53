"""One call of a synchronous hook: a signed POST whose answer allows, denies or patches a
sign-in flow, within one deadline across all its attempts. No database: the caller records
the attempts and applies the decision.

The answer contract (version 1, sent as `hookline-answer-contract: 1`): `204` or
`{"action": "allow"}` allows; `{"action": "allow", "patch": {...}}` allows and changes the
fields of `PATCHABLE`; `{"action": "deny", "message", "code", "field"}` denies. Anything else,
no answer in time, an unreachable receiver or a non-2xx status decide by the hook's
`onError`. A hook that requires signed answers takes none without a valid signature.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson

from hookline.sender.outcome import Failure, Outcome
from hookline.sender.request import Target, build
from hookline.sender.signing import standard_signature
from hookline.sender.transport import Transport

ALLOW, DENY = "allow", "deny"
DEFAULT_TIMEOUT_MS = 3000
CONTRACT_HEADER, CONTRACT_VERSION = "hookline-answer-contract", "1"
DENIED_CODE, DENIED_MESSAGE = "hook.denied", "The request was denied."
# What a patch may change: the user's own data, never identifiers, roles or credentials.
PATCHABLE = ("customData", "profile", "name")
# Tried again within the deadline: the receiver was not reached, or asked for a moment.
_RETRIED_STATUSES = frozenset({429, 503})
_ANSWER_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_TOLERANCE_S = 300
_FIRST_PAUSE_S = 0.05
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_MAX_TEXT = 512
_MAX_NAME = 128  # the users' column


@dataclass(frozen=True, slots=True)
class Policy:
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    on_error: str = DENY
    require_signed_answer: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # ALLOW or DENY
    # Why, for the logs: "answer" when the receiver decided, else what made the policy decide.
    reason: str = "answer"
    patch: dict[str, Any] | None = None
    message: str = DENIED_MESSAGE
    code: str = DENIED_CODE
    field: str | None = None

    @property
    def allowed(self) -> bool:
        return self.action == ALLOW


@dataclass(frozen=True, slots=True)
class Call:
    decision: Decision
    attempts: tuple[Outcome, ...]


async def call(
    transport: Transport,
    target: Target,
    body: bytes,
    msg_id: str,
    user_agent: str,
    policy: Policy,
) -> Call:
    """POST `body` (signed, `msg_id` on every attempt) until an answer or the deadline."""
    deadline = time.monotonic() + policy.timeout_ms / 1000
    attempts: list[Outcome] = []
    pause = _FIRST_PAUSE_S
    while True:
        outcome = await _attempt(transport, target, body, msg_id, user_agent, deadline, policy)
        attempts.append(outcome)
        left = deadline - time.monotonic()
        if not _worth_retrying(outcome) or left <= pause:
            break
        await asyncio.sleep(pause)
        pause *= 2
    return Call(decide(outcome, policy, target, msg_id), tuple(attempts))


async def _attempt(
    transport: Transport,
    target: Target,
    body: bytes,
    msg_id: str,
    user_agent: str,
    deadline: float,
    policy: Policy,
) -> Outcome:
    request = build(target, body, msg_id, user_agent)
    request.headers[CONTRACT_HEADER] = CONTRACT_VERSION
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline - started):
            return await transport.send(request, _ANSWER_HEADERS)
    except TimeoutError:
        message = f"No answer within the deadline of {policy.timeout_ms} ms"
        return Outcome(None, None, (time.monotonic() - started) * 1000, Failure.TIMEOUT, message)


def _worth_retrying(outcome: Outcome) -> bool:
    return outcome.failure is Failure.CONNECT or outcome.status in _RETRIED_STATUSES


def decide(outcome: Outcome, policy: Policy, target: Target, msg_id: str) -> Decision:
    """The decision an attempt's outcome gives under `policy`."""
    if outcome.failure is not None:
        return Decision(policy.on_error, reason=outcome.failure.value)
    if policy.require_signed_answer and not answer_signed(outcome, target, msg_id):
        return Decision(DENY, reason="unsigned answer")
    if outcome.status == 204:
        return Decision(ALLOW)
    try:
        answer = orjson.loads(outcome.body or "")
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        return Decision(policy.on_error, reason="unreadable answer")
    if answer.get("action") == DENY:
        return _denial(answer)
    if answer.get("action") == ALLOW:
        patch = answer.get("patch")
        if patch is None:
            return Decision(ALLOW)
        kept = allowed_patch(patch)
        if kept is None:
            return Decision(policy.on_error, reason="unreadable patch")
        return Decision(ALLOW, patch=kept or None)
    return Decision(policy.on_error, reason="unreadable answer")


def allowed_patch(patch: Any) -> dict[str, Any] | None:
    """The fields of `PATCHABLE` in `patch` (others are dropped), or None if one is of the
    wrong type."""
    if not isinstance(patch, dict):
        return None
    kept = {k: patch[k] for k in PATCHABLE if k in patch}
    for key in ("customData", "profile"):
        if key in kept and not isinstance(kept[key], dict):
            return None
    name = kept.get("name")
    if name is not None and not (isinstance(name, str) and len(name) <= _MAX_NAME):
        return None
    # PostgreSQL stores no NUL character, in text or in JSON.
    if b"\\u0000" in orjson.dumps(kept):
        return None
    return kept


def _denial(answer: dict[str, Any]) -> Decision:
    message, code, field = answer.get("message"), answer.get("code"), answer.get("field")
    return Decision(
        DENY,
        message=message[:_MAX_TEXT] if isinstance(message, str) and message else DENIED_MESSAGE,
        code=code if isinstance(code, str) and _CODE.fullmatch(code) else DENIED_CODE,
        field=field[:_MAX_TEXT] if isinstance(field, str) and field else None,
    )


def answer_signed(outcome: Outcome, target: Target, msg_id: str) -> bool:
    """The answer carries the call's `webhook-id`, a recent `webhook-timestamp` and a `v1`
    signature of `id.timestamp.body` by one of the hook's valid keys."""
    headers = outcome.headers or {}
    if headers.get("webhook-id") != msg_id:
        return False
    try:
        timestamp = int(headers.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > _TOLERANCE_S:
        return False
    body = (outcome.body or "").encode()
    keys = [target.signing_key]
    if target.previous_key is not None and timestamp * 1000 < target.previous_key[1]:
        keys.append(target.previous_key[0])
    expected = [standard_signature(key, msg_id, timestamp, body).encode() for key in keys if key]
    # Bytes, not text: a receiver may send any octets, and compare_digest refuses non-ASCII str.
    given = headers.get("webhook-signature", "").encode("utf-8", "surrogateescape").split()
    return any(hmac.compare_digest(e, g) for e in expected for g in given)
