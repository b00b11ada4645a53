"""Properties: whatever hookline signs, the receiver kit verifies, and nothing changed after
signing; the reference `standardwebhooks` verifier and the kit agree on `v1`; for `v1a`,
hookline's Ed25519 signature is `cryptography`'s with the `whsk_` seed, and the kit verifies
it with the key in each form hookline publishes (`whpk_`, JWK) and the request of any other
signer holding that seed."""

from __future__ import annotations

import base64
import string
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import standardwebhooks
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from hookline.sender.ed25519 import jwk, public_key_of
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
# Ed25519 private keys as `whsk_` + base64 of any 32-byte seed.
ed25519_keys = st.binary(min_size=32, max_size=32).map(
    lambda seed: "whsk_" + base64.b64encode(seed).decode()
)


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


def v1a_reason(headers: dict[str, str], body: bytes, private_key: str) -> Reason:
    with pytest.raises(VerificationError) as error:
        verify(headers, body, public_keys=[public_key_of(private_key)], now=NOW)
    return error.value.reason


@given(keys, ed25519_keys, ed25519_keys, ids, bodies, offsets, st.integers(-5000, 5000))
def test_what_hookline_signs_with_ed25519_verifies(
    key: str,
    private_key: str,
    old_private_key: str,
    msg_id: str,
    body: bytes,
    offset: int,
    expires_in_ms: int,
) -> None:
    timestamp = NOW + offset
    expires_at = timestamp * 1000 + expires_in_ms
    target = Target(
        URL,
        key,
        ed25519_key=private_key,
        previous_ed25519_key=(old_private_key, expires_at),
    )
    headers = build(target, body, msg_id, "ua", timestamp=timestamp).headers
    public_key = public_key_of(private_key)
    raw = base64.b64decode(public_key.removeprefix("whpk_"))
    for form in (public_key, jwk(public_key), raw):
        webhook = verify(headers, body, public_keys=[form], now=NOW)
        assert (webhook.scheme, webhook.id, webhook.timestamp) == ("v1a", msg_id, timestamp)
    old_public_key = jwk(public_key_of(old_private_key))
    if expires_in_ms > 0:  # the previous pair signs until its expiry
        assert verify(headers, body, public_keys=[old_public_key], now=NOW).scheme == "v1a"
    elif old_private_key != private_key:
        assert v1a_reason(headers, body, old_private_key) == Reason.NO_MATCHING_SIGNATURE


@given(ed25519_keys, ids, bodies, st.data())
def test_a_change_after_ed25519_signing_is_refused(
    private_key: str, msg_id: str, body: bytes, data: Any
) -> None:
    headers = build(Target(URL, "", ed25519_key=private_key), body, msg_id, "ua", NOW).headers
    assert headers["webhook-signature"].startswith("v1a,")
    other_body = data.draw(bodies.filter(lambda b: b != body), label="body")
    other_id = data.draw(ids.filter(lambda i: i != msg_id), label="id")
    other_time = NOW + data.draw(offsets.filter(bool), label="offset")
    other_key = data.draw(ed25519_keys.filter(lambda k: k != private_key), label="key")
    refused = Reason.NO_MATCHING_SIGNATURE
    assert v1a_reason(headers, other_body, private_key) == refused
    assert v1a_reason(headers | {"webhook-id": other_id}, body, private_key) == refused
    changed_time = headers | {"webhook-timestamp": str(other_time)}
    assert v1a_reason(changed_time, body, private_key) == refused
    assert v1a_reason(headers, body, other_key) == refused


@given(ed25519_keys, ids, bodies)
def test_hookline_and_another_signer_agree_on_v1a(
    private_key: str, msg_id: str, body: bytes
) -> None:
    """Another signer given the same `whsk_` key (the Standard Webhooks form, as the test
    vectors hold it) makes the same signature (Ed25519 is deterministic), and the kit accepts
    that signer's request with the key hookline publishes."""
    seed = base64.b64decode(private_key.removeprefix("whsk_"))
    theirs = Ed25519PrivateKey.from_private_bytes(seed).sign(
        b"%s.%d.%s" % (msg_id.encode(), NOW, body)
    )
    their_headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(NOW),
        "webhook-signature": "v1a," + base64.b64encode(theirs).decode(),
    }
    ours = build(Target(URL, "", ed25519_key=private_key), body, msg_id, "ua", NOW).headers
    assert ours["webhook-signature"] == their_headers["webhook-signature"]
    published = jwk(public_key_of(private_key))
    assert verify(their_headers, body, public_keys=[published], now=NOW).scheme == "v1a"
