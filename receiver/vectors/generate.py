"""Writes webhooks.json beside this file: signed webhook requests and what a verifier must
answer, for receivers in any language. Deterministic (fixed keys, ids and times; Ed25519
signatures are deterministic), so running it again changes nothing unless this file changed.

    python receiver/vectors/generate.py            # needs `cryptography`
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUTPUT = Path(__file__).with_name("webhooks.json")

# Hook signing keys as Logto shows them; their UTF-8 bytes are the HMAC key.
KEY = "Hk3vQ9xT2mLp7RwZ8nB4cF6yJ1sD5gA0"
OLD_KEY = "Zq8Wm2Ld5Pr9Ty3Uo6Ie1Xc4Vb7Nk0Ha"
WRONG_KEY = "Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ng00"
ED25519_SEED = hashlib.sha256(b"hookline receiver test vectors: ed25519").digest()
OLD_SEED = hashlib.sha256(b"hookline receiver test vectors: a rotated ed25519 key").digest()
WRONG_SEED = hashlib.sha256(b"hookline receiver test vectors: another ed25519 key").digest()

MSG_ID = "dlv_01kd0vx6w8e5tq3r9m2n4p7c1b"
TIMESTAMP = 1767225600  # 2026-01-01T00:00:00Z
NOW = TIMESTAMP + 12
TOLERANCE = 300
BODY = (
    '{"event":"User.Created","createdAt":"2026-01-01T00:00:00.000Z",'
    '"data":{"id":"u1","name":"Zoë Ångström"},"hookId":"hk1"}'
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def whsec(signing_key: str) -> str:
    return "whsec_" + b64(signing_key.encode())


def ed25519_keys(seed: bytes) -> dict[str, Any]:
    """Standard Webhooks writes keys as prefix + base64: `whsk_` of the 32-byte private seed,
    `whpk_` of the 32-byte public key; the JWK holds the public key in base64url."""
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    kid = hashlib.sha256(raw).hexdigest()[:16]
    return {
        "privateKey": "whsk_" + b64(seed),
        "publicKey": "whpk_" + b64(raw),
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid},
    }


def content(msg_id: str, timestamp: int, body: str) -> bytes:
    return f"{msg_id}.{timestamp}.{body}".encode()


def v1(signing_key: str, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.digest(signing_key.encode(), content(msg_id, timestamp, body), "sha256")
    return "v1," + b64(digest)


def v1a(seed: bytes, msg_id: str, timestamp: int, body: str) -> str:
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(content(msg_id, timestamp, body))
    return "v1a," + b64(signature)


def logto(signing_key: str, body: str) -> str:
    return hmac.digest(signing_key.encode(), body.encode(), "sha256").hex()


def signed(
    *,
    signing_keys: tuple[str, ...] = (KEY,),
    seeds: tuple[bytes, ...] = (),
    msg_id: str = MSG_ID,
    timestamp: int = TIMESTAMP,
    body: str = BODY,
    standard: bool = True,
) -> dict[str, Any]:
    """What the sender had and the headers it sent: `v1` per key (newest first), then `v1a`
    per Ed25519 key (newest first), Logto's signature with the newest key."""
    signer: dict[str, Any] = {"signingKeys": list(signing_keys)}
    headers = {"content-type": "application/json"}
    if signing_keys:
        headers["logto-signature-sha-256"] = logto(signing_keys[0], body)
    if standard:
        entries = [v1(key, msg_id, timestamp, body) for key in signing_keys]
        if seeds:
            signer["ed25519PrivateKeys"] = [ed25519_keys(seed)["privateKey"] for seed in seeds]
            entries += [v1a(seed, msg_id, timestamp, body) for seed in seeds]
        signer |= {"id": msg_id, "timestamp": timestamp}
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(entries),
        }
    signer["body"] = body
    return {"signer": signer, "headers": headers}


def vector(
    name: str,
    description: str,
    sent: dict[str, Any],
    expected: dict[str, Any],
    *,
    secrets: list[str] | None = None,
    public_keys: list[Any] | None = None,
    now: int = NOW,
    body: str | None = None,
    headers: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """`body` and `headers` change what arrives from what was signed (None drops a header)."""
    arrived = dict(sent["headers"])
    for header, value in (headers or {}).items():
        arrived.pop(header, None)
        if value is not None:
            arrived[header] = value
    return {
        "name": name,
        "description": description,
        "signer": sent["signer"],
        "request": {"headers": arrived, "body": sent["signer"]["body"] if body is None else body},
        "verifier": {
            "secrets": [whsec(KEY)] if secrets is None and public_keys is None else secrets or [],
            "publicKeys": public_keys or [],
            "now": now,
            "tolerance": TOLERANCE,
        },
        "expected": expected,
    }


def accepted(scheme: str, standard: bool = True, **extra: Any) -> dict[str, Any]:
    ids = {"id": MSG_ID, "timestamp": TIMESTAMP} if standard else {"id": None, "timestamp": None}
    return {"ok": True, "scheme": scheme, **ids, "subject": None, "sequence": None} | extra


def refused(reason: str) -> dict[str, Any]:
    return {"ok": False, "reason": reason}


def vectors() -> list[dict[str, Any]]:
    one = signed()
    rotation = signed(signing_keys=(KEY, OLD_KEY))
    ed = ed25519_keys(ED25519_SEED)
    asymmetric = signed(seeds=(ED25519_SEED,))
    asymmetric_rotation = signed(signing_keys=(KEY, OLD_KEY), seeds=(ED25519_SEED, OLD_SEED))
    logto_only = signed(standard=False)
    with_subject = signed()
    with_subject["headers"] |= {"hookline-subject": "user:u1", "hookline-sequence": "7"}
    return [
        vector("v1", "One v1 signature, verified with the whsec_ secret", one, accepted("v1")),
        vector(
            "v1-raw-signing-key",
            "The same request, verified with the signing key as Logto shows it",
            one,
            accepted("v1"),
            secrets=[KEY],
        ),
        vector(
            "v1-header-case",
            "Header names in any case",
            {"signer": one["signer"], "headers": {k.title(): v for k, v in one["headers"].items()}},
            accepted("v1"),
        ),
        vector(
            "v1-subject",
            "hookline's ordering headers, returned as they came (they are not signed)",
            with_subject,
            accepted("v1", subject="user:u1", sequence=7),
        ),
        vector(
            "rotation-new-key",
            "During a key rotation: a v1 entry per valid key, newest first; the new key",
            rotation,
            accepted("v1"),
        ),
        vector(
            "rotation-old-key",
            "During a key rotation, a receiver that still holds the old key",
            rotation,
            accepted("v1"),
            secrets=[whsec(OLD_KEY)],
        ),
        vector(
            "v1a",
            "Ed25519 beside v1, verified with the whpk_ public key alone",
            asymmetric,
            accepted("v1a"),
            public_keys=[ed["publicKey"]],
        ),
        vector(
            "v1a-jwk",
            "Ed25519, verified with the public key as a JWK",
            asymmetric,
            accepted("v1a"),
            public_keys=[ed["jwk"]],
        ),
        vector(
            "v1a-rotation-new-key",
            "During a key rotation: v1 per valid key, then v1a per valid pair, newest first;"
            " the new public key, from a JWKS",
            asymmetric_rotation,
            accepted("v1a"),
            public_keys=[ed["jwk"]],
        ),
        vector(
            "v1a-rotation-old-key",
            "During a key rotation, a receiver that still holds the old public key",
            asymmetric_rotation,
            accepted("v1a"),
            public_keys=[ed25519_keys(OLD_SEED)["publicKey"]],
        ),
        vector(
            "logto",
            "Logto's signature alone, verified with the raw signing key",
            logto_only,
            accepted("logto", standard=False),
            secrets=[KEY],
        ),
        vector(
            "logto-whsec",
            "Logto's signature alone, verified with the equivalent whsec_ secret",
            logto_only,
            accepted("logto", standard=False),
        ),
        vector(
            "at-tolerance",
            "Signed exactly the tolerance ago: still accepted",
            one,
            accepted("v1"),
            now=TIMESTAMP + TOLERANCE,
        ),
        vector(
            "tampered-body",
            "The body changed after signing",
            one,
            refused("no_matching_signature"),
            body=BODY.replace("u1", "u2"),
        ),
        vector(
            "tampered-id",
            "webhook-id changed after signing",
            one,
            refused("no_matching_signature"),
            headers={"webhook-id": MSG_ID + "x"},
        ),
        vector(
            "tampered-timestamp",
            "webhook-timestamp changed after signing, within the tolerance",
            one,
            refused("no_matching_signature"),
            headers={"webhook-timestamp": str(TIMESTAMP + 1)},
        ),
        vector(
            "wrong-key",
            "A secret that did not sign the request",
            one,
            refused("no_matching_signature"),
            secrets=[whsec(WRONG_KEY)],
        ),
        vector(
            "v1a-wrong-key",
            "An Ed25519 public key that did not sign the request",
            asymmetric,
            refused("no_matching_signature"),
            public_keys=[ed25519_keys(WRONG_SEED)["publicKey"]],
        ),
        vector(
            "logto-tampered-body",
            "Logto's signature alone, the body changed after signing",
            logto_only,
            refused("no_matching_signature"),
            body=BODY.replace("u1", "u2"),
            secrets=[KEY],
        ),
        vector(
            "stale",
            "Signed longer ago than the tolerance",
            one,
            refused("stale"),
            now=TIMESTAMP + TOLERANCE + 1,
        ),
        vector(
            "future",
            "Signed further ahead than the tolerance",
            one,
            refused("future"),
            now=TIMESTAMP - TOLERANCE - 1,
        ),
        vector(
            "bad-timestamp",
            "webhook-timestamp is not whole seconds",
            one,
            refused("bad_timestamp"),
            headers={"webhook-timestamp": f"{TIMESTAMP}.5"},
        ),
        vector(
            "missing-id",
            "webhook-signature without webhook-id",
            one,
            refused("missing_headers"),
            headers={"webhook-id": None},
        ),
        vector(
            "unsigned",
            "No signature header at all",
            one,
            refused("missing_headers"),
            headers={"webhook-signature": None, "logto-signature-sha-256": None},
        ),
        vector(
            "v1a-without-public-key",
            "Only a v1a signature, and the verifier holds only secrets",
            asymmetric,
            refused("no_key"),
            headers={"webhook-signature": asymmetric["headers"]["webhook-signature"].split()[-1]},
        ),
    ]


def document() -> dict[str, Any]:
    return {
        "description": (
            "Webhook requests as hookline signs them, and what a verifier must answer. "
            "`signer`: what signed (`signingKeys` newest first: their UTF-8 bytes are the "
            "HMAC key; `ed25519PrivateKeys`, newest first: whsk_ + base64 of the 32-byte "
            "seed). `request`: what arrived (the body's UTF-8 bytes). `verifier`: the "
            "secrets (whsec_ or raw "
            "signing keys), public keys (whpk_ + base64 of the 32-byte key, or a JWK), the "
            "clock (Unix seconds) and the tolerance (seconds). `expected`: ok with what the "
            "request says of itself, or the reason it is refused. Checks go in this order: "
            "signature headers present, timestamp well formed, within the tolerance, then "
            "the signatures."
        ),
        "generatedBy": "receiver/vectors/generate.py",
        "keys": {
            "signingKey": KEY,
            "secret": whsec(KEY),
            "oldSigningKey": OLD_KEY,
            "ed25519": ed25519_keys(ED25519_SEED),
        },
        "vectors": vectors(),
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
