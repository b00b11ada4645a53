"""`v1a` in `build`: the Ed25519 entries come after every `v1` one, newest key first, the
previous pair signing until the same expiry as the previous HMAC key; keys in Standard
Webhooks' `whsk_`/`whpk_` forms, and their JWK."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hookline.sender.ed25519 import ed25519_signature, jwk, new_key_pair, public_key_of
from hookline.sender.request import Target, build
from hookline.sender.signing import standard_signature
from hookline_receiver import verify

URL = "https://hooks.example.com/in"
KEY, OLD_KEY = "9tmr4svLY0FKJlNxicBPi58Jk6R86g0F", "whEPBfqREzD2TCwACTR7zapovEIYk1fZ"
BODY = '{"event":"User.Created","n":"Jürgen 😀","hookId":"h1"}'.encode()
TS = 1_790_000_000
EXPIRES_AT = TS * 1000 + 1
PAIR, OLD_PAIR = new_key_pair(), new_key_pair()


def entries(target: Target, ts: int = TS) -> list[str]:
    return build(target, BODY, "m", "ua", timestamp=ts).headers["webhook-signature"].split(" ")


def test_key_forms() -> None:
    private_key, public_key = PAIR
    seed = base64.b64decode(private_key.removeprefix("whsk_"))
    raw = base64.b64decode(public_key.removeprefix("whpk_"))
    assert private_key.startswith("whsk_") and len(seed) == 32
    assert public_key.startswith("whpk_") and len(raw) == 32
    assert public_key_of(private_key) == public_key
    assert PAIR != OLD_PAIR
    published = jwk(public_key)
    assert base64.urlsafe_b64decode(published["x"] + "=") == raw
    assert published["kid"] == hashlib.sha256(raw).hexdigest()[:16]
    assert (published["kty"], published["crv"], published["alg"]) == ("OKP", "Ed25519", "EdDSA")


def test_the_signature_is_cryptographys_over_id_timestamp_body() -> None:
    private_key = PAIR[0]
    seed = base64.b64decode(private_key.removeprefix("whsk_"))
    expected = Ed25519PrivateKey.from_private_bytes(seed).sign(b"m.%d.%s" % (TS, BODY))
    assert (
        ed25519_signature(private_key, "m", TS, BODY)
        == "v1a," + base64.b64encode(expected).decode()
    )


def test_v1a_comes_after_v1() -> None:
    assert entries(Target(URL, KEY, ed25519_key=PAIR[0])) == [
        standard_signature(KEY, "m", TS, BODY),
        ed25519_signature(PAIR[0], "m", TS, BODY),
    ]


def test_during_the_grace_each_pair_signs_newest_first() -> None:
    target = Target(
        URL,
        KEY,
        previous_key=(OLD_KEY, EXPIRES_AT),
        ed25519_key=PAIR[0],
        previous_ed25519_key=(OLD_PAIR[0], EXPIRES_AT),
    )
    assert entries(target) == [
        standard_signature(KEY, "m", TS, BODY),
        standard_signature(OLD_KEY, "m", TS, BODY),
        ed25519_signature(PAIR[0], "m", TS, BODY),
        ed25519_signature(OLD_PAIR[0], "m", TS, BODY),
    ]
    assert entries(target, TS + 1) == [
        standard_signature(KEY, "m", TS + 1, BODY),
        ed25519_signature(PAIR[0], "m", TS + 1, BODY),
    ]


@pytest.mark.parametrize("public_key", [PAIR[1], OLD_PAIR[1]], ids=["new", "old"])
def test_the_kit_verifies_each_pair(public_key: str) -> None:
    target = Target(URL, KEY, ed25519_key=PAIR[0], previous_ed25519_key=(OLD_PAIR[0], EXPIRES_AT))
    request = build(target, BODY, "m", "ua", timestamp=TS)
    webhook = verify(request.headers, BODY, public_keys=[public_key], now=TS)
    assert webhook.scheme == "v1a"


def test_the_private_keys_are_not_in_the_targets_repr() -> None:
    target = Target(URL, KEY, previous_key=(OLD_KEY, 1), ed25519_key=PAIR[0])
    assert KEY not in repr(target) and OLD_KEY not in repr(target)
    assert PAIR[0] not in repr(target) and "whsk_" not in repr(target)
