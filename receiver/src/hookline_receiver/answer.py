"""What every adapter does with a request: verify it, store it, and say what to answer. The
answer comes as soon as the webhook is on disk; the work is the worker's."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from hookline_receiver.errors import Reason, VerificationError
from hookline_receiver.headers import Headers
from hookline_receiver.inbox import Inbox, InboxUnavailable, Stored
from hookline_receiver.verify import verify

log = logging.getLogger("hookline_receiver")

MAX_BODY = 10 * 1024 * 1024  # bytes; hookline's bodies are a few KB


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def refusal(status: int, code: str, message: str) -> Answer:
    """A 4xx or 5xx with a body as Logto's errors: `{"code", "message"}`."""
    body = json.dumps({"code": code, "message": message}).encode()
    return Answer(status, body, {"content-type": "application/json"})


# hookline signs every delivery the Standard Webhooks way, with an id and a time: Logto's
# signature alone (the body's, with neither) would let anyone who saw one delivery replay it
# forever. A receiver behind Logto itself passes `allow_logto=True`.
ADAPTER_DEFAULTS: dict[str, Any] = {"allow_logto": False}

NO_CONTENT = Answer(204)
UNREADABLE = refusal(400, "webhook.unreadable", "the request's body could not be read")
TOO_LARGE = refusal(413, "webhook.too_large", f"a body is at most {MAX_BODY} bytes")
NOT_POST = refusal(405, "webhook.method_not_allowed", "webhooks come as POST")


def check_options(options: dict[str, Any]) -> None:
    """Raise at set-up, not at the first request, for what `verify` would refuse in its
    options (no key, a malformed one, an unknown option)."""
    try:
        verify({}, b"", **(ADAPTER_DEFAULTS | options))
    except VerificationError:
        pass  # the empty request: the options themselves were fine


def answer(inbox: Inbox, headers: Headers, body: bytes, options: dict[str, Any]) -> Answer:
    """Verify the request with `verify(headers, body, **options)` (Logto's signature alone
    refused unless `allow_logto=True`) and store it in `inbox` under its verified id: 204
    once it is stored (or was before), 401 for a signature that does not hold, 409 for an id
    stored before with another body, 503 when the inbox cannot be written or the JWKS cannot
    be fetched."""
    try:
        webhook = verify(headers, body, **(ADAPTER_DEFAULTS | options))
    except VerificationError as error:
        # Keys that cannot be fetched now may be fetched later: let the sender try again.
        status = 503 if error.reason is Reason.JWKS_UNAVAILABLE else 401
        return refusal(status, f"webhook.{error.reason}", str(error))
    try:
        stored = inbox.store(webhook)
    except InboxUnavailable as error:
        # The sender tries again later: nothing is lost.
        log.error("inbox unavailable: %s", error, extra={"action": "inbox_unavailable"})
        return refusal(503, "webhook.inbox_unavailable", "the inbox cannot store it now")
    if stored is Stored.CONFLICT:
        message = "this webhook-id was received before with another body"
        return refusal(409, "webhook.conflict", message)
    return NO_CONTENT
