"""hookline.sender.signing against real Logto captures and the reference Standard Webhooks lib."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from hookline.sender.signing import logto_signature, standard_secret, standard_signature
from tests.support.logto_data import captures, signing_keys

SIGNED = [c for c in captures() if c.verified_with in signing_keys()]
KEY = "9tmr4svLY0FKJlNxicBPi58Jk6R86g0F"
OTHER_KEY = "whEPBfqREzD2TCwACTR7zapovEIYk1fZ"
BODY = '{"event":"User.Created","name":"Jürgen 日本 😀","hookId":"abc"}'.encode()


def test_every_capture_with_a_recorded_key_is_covered() -> None:
    # 38 with the original key + 3 after PATCH /signing-key; the other 8 (deleted status-test
    # hooks, benchmark hook) were signed with keys Logto's run did not record.
    assert len(SIGNED) == 41
    assert {c.verified_with for c in SIGNED} == {"original", "regenerated"}
    unknown = [c for c in captures() if c not in SIGNED]
    assert len(unknown) == 8
    assert all(c.path.startswith(("/st-", "/bench-")) for c in unknown)


@pytest.mark.parametrize("capture", SIGNED, ids=lambda c: c.id)
def test_logto_signature_reproduces_captured_header(capture) -> None:
    key = signing_keys()[capture.verified_with]
    assert logto_signature(key, capture.body) == capture.header("logto-signature-sha-256")


@pytest.mark.parametrize("capture", SIGNED, ids=lambda c: c.id)
def test_logto_signature_with_the_other_key_does_not_match(capture) -> None:
    other = "regenerated" if capture.verified_with == "original" else "original"
    assert logto_signature(signing_keys()[other], capture.body) != capture.header(
        "logto-signature-sha-256"
    )


def test_logto_signature_rfc4231_vector() -> None:
    # RFC 4231 test case 2: HMAC-SHA256(key="Jefe", "what do ya want for nothing?")
    assert logto_signature("Jefe", b"what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_logto_signature_is_lowercase_hex_without_prefix() -> None:
    sig = logto_signature(KEY, BODY)
    assert len(sig) == 64
    assert sig == sig.lower()
    int(sig, 16)


def test_logto_signature_depends_on_every_body_byte() -> None:
    tampered = BODY.replace(b"abc", b"abd")
    assert logto_signature(KEY, tampered) != logto_signature(KEY, BODY)


def test_standard_secret_shape() -> None:
    secret = standard_secret(KEY)
    assert secret.startswith("whsec_")
    assert base64.b64decode(secret.removeprefix("whsec_"), validate=True) == KEY.encode()


def _headers(key: str, msg_id: str, ts: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_signature(key, msg_id, ts, body),
    }


@pytest.mark.parametrize(
    "body",
    [BODY, SIGNED[0].body, SIGNED[-1].body],
    ids=["non-ascii", "capture-first", "capture-last"],
)
def test_standard_signature_is_accepted_by_standardwebhooks(body: bytes) -> None:
    ts = int(time.time())
    headers = _headers(KEY, "msg_2k8s9q", ts, body)
    assert headers["webhook-signature"].startswith("v1,")
    parsed = Webhook(standard_secret(KEY)).verify(body, headers)
    assert parsed == json.loads(body)


def test_standard_signature_equals_reference_sign() -> None:
    ts = 1614265330
    expected = Webhook(standard_secret(KEY)).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(ts, UTC), BODY.decode()
    )
    assert standard_signature(KEY, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, BODY) == expected


def test_standard_signature_rejected_for_tampered_body() -> None:
    ts = int(time.time())
    headers = _headers(KEY, "msg_1", ts, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(KEY)).verify(BODY.replace(b"abc", b"abd"), headers)


def test_standard_signature_rejected_for_wrong_key() -> None:
    ts = int(time.time())
    headers = _headers(KEY, "msg_1", ts, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(OTHER_KEY)).verify(BODY, headers)


@pytest.mark.parametrize("field", ["webhook-id", "webhook-timestamp"])
def test_standard_signature_binds_id_and_timestamp(field: str) -> None:
    ts = int(time.time())
    headers = _headers(KEY, "msg_1", ts, BODY)
    headers[field] = "msg_2" if field == "webhook-id" else str(ts - 1)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret(KEY)).verify(BODY, headers)
