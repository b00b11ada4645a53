"""Signed requests for the inbox's tests, and a clock they move by hand."""

from __future__ import annotations

import base64
import hmac
import time

from hookline_receiver import Webhook

KEY = "inbox-test-signing-key"


def signed(
    body: bytes,
    msg_id: str,
    *,
    subject: str | None = None,
    sequence: int | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers hookline sends with `body`, signed `v1` with KEY."""
    ts = int(time.time()) if timestamp is None else timestamp
    content = b"%s.%d.%s" % (msg_id.encode(), ts, body)
    signature = base64.b64encode(hmac.digest(KEY.encode(), content, "sha256")).decode()
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1," + signature,
    }
    if subject is not None:
        headers["hookline-subject"] = subject
        headers["hookline-sequence"] = str(sequence)
    return headers


def logto_signed(body: bytes) -> dict[str, str]:
    """The headers Logto sends with `body`: its signature alone, of the body alone."""
    signature = hmac.digest(KEY.encode(), body, "sha256").hex()
    return {"content-type": "application/json", "logto-signature-sha-256": signature}


def received(
    body: bytes,
    msg_id: str,
    *,
    subject: str | None = None,
    sequence: int | None = None,
    timestamp: int | None = None,
) -> Webhook:
    """The webhook `verify` returns for `signed(body, msg_id, …)`, as the inbox stores it."""
    ts = int(time.time()) if timestamp is None else timestamp
    return Webhook(body, msg_id, ts, subject, sequence, "v1")


class Clock:
    """Time as the test says: `clock()` is `now`, moved with `advance`."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
