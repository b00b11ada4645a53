"""Properties: whatever hookline signs, the receiver kit verifies, and nothing changed after
signing; the reference `standardwebhooks` verifier and the kit agree on `v1`."""

from __future__ import annotations

import string
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import standardwebhooks
from hypothesis import given
from hypothesis import strategies as st

from hookline.sender.request import Target, build
from hookline.sender.signing import standard_secret
from hookline_receiver import Reason, VerificationError, verify

URL = "https://receiver.example/hook"
NOW = 1_767_225_600

# Signing keys as hookline makes them; a NUL-padded key would be the same HMAC key (RFC 2104).
keys = st.text(string.ascii_letters + string.digits, min_size=1, max_size=80)
ids = st.text(min_size=1, max_size=40).filter(lambda s: s == s.strip() and s.isprintable())
bodies = st.binary(max_size=2000)
offsets = st.integers(-300, 300)


def signed(key: str, msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return build(Target(URL, key), body, msg_id, "ua", timestamp=timestamp).headers


def reason(headers: dict[str, str], body: bytes, key: str, now: int = NOW) -> Reason:
    with pytest.raises(VerificationError) as error:
        verify(headers, body, secrets=[standard_secret(key)], now=now)
    return error.value.reason


@given(keys, ids, bodies, offsets)
def test_what_hookline_signs_verifies(key: str, msg_id: str, body: bytes, offset: int) -> None:
    headers = signed(key, msg_id, body, NOW + offset)
    for secret in (key, standard_secret(key)):
        webhook = verify(headers, body, secrets=[secret], now=NOW)
        assert (webhook.id, webhook.timestamp, webhook.body) == (msg_id, NOW + offset, body)
    logto_only = {"logto-signature-sha-256": headers["logto-signature-sha-256"]}
    assert verify(logto_only, body, secrets=[key]).scheme == "logto"


@given(keys, ids, bodies, st.data())
def test_a_change_after_signing_is_refused(key: str, msg_id: str, body: bytes, data: Any) -> None:
    headers = signed(key, msg_id, body, NOW)
    other_body = data.draw(bodies.filter(lambda b: b != body), label="body")
    other_id = data.draw(ids.filter(lambda i: i != msg_id), label="id")
    other_time = NOW + data.draw(offsets.filter(bool), label="offset")
    other_key = data.draw(keys.filter(lambda k: k != key), label="key")
    assert reason(headers, other_body, key) == Reason.NO_MATCHING_SIGNATURE
    assert reason(headers | {"webhook-id": other_id}, body, key) == Reason.NO_MATCHING_SIGNATURE
    changed_time = headers | {"webhook-timestamp": str(other_time)}
    assert reason(changed_time, body, key) == Reason.NO_MATCHING_SIGNATURE
    assert reason(headers, body, other_key) == Reason.NO_MATCHING_SIGNATURE
    logto_only = {"logto-signature-sha-256": headers["logto-signature-sha-256"]}
    assert reason(logto_only, other_body, key) == Reason.NO_MATCHING_SIGNATURE


@given(keys, ids, st.text(max_size=500), st.booleans())
def test_standardwebhooks_and_the_kit_agree_on_v1(
    key: str, msg_id: str, text: str, tampered: bool
) -> None:
    now = int(time.time())
    body = text.encode()
    headers = signed(key, msg_id, body, now)
    reference = standardwebhooks.Webhook(standard_secret(key))
    # The reference's own signature of the same request verifies with the kit too.
    theirs = dict(headers)
    theirs["webhook-signature"] = reference.sign(msg_id, datetime.fromtimestamp(now, UTC), text)
    received = (body + b" ") if tampered else body

    def kit_accepts(headers: dict[str, str]) -> bool:
        try:
            verify(headers, received, secrets=[standard_secret(key)])
        except VerificationError:
            return False
        return True

    def reference_accepts() -> bool:
        try:
            reference.verify(received, headers, json_parse=False)
        except standardwebhooks.webhooks.WebhookVerificationError:
            return False
        return True

    assert kit_accepts(headers) == reference_accepts() == (not tampered)
    assert kit_accepts(theirs) == (not tampered)
