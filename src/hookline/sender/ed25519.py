"""Ed25519 key pairs in Standard Webhooks' forms, and the `v1a` signatures they make.

A private key is written `whsk_` + base64 of its 32-byte seed, a public key `whpk_` + base64
of its 32 bytes, as the Standard Webhooks spec and the receiver kit write them."""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PRIVATE_PREFIX = "whsk_"
PUBLIC_PREFIX = "whpk_"


def new_key_pair() -> tuple[str, str]:
    """A fresh (private `whsk_…`, public `whpk_…`) pair."""
    private_key = PRIVATE_PREFIX + _b64(Ed25519PrivateKey.generate().private_bytes_raw())
    return private_key, public_key_of(private_key)


def public_key_of(private_key: str) -> str:
    raw = _private(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_PREFIX + _b64(raw)


def ed25519_signature(private_key: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`'s `v1a,` + base64 Ed25519 signature of `id.timestamp.body`."""
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    return "v1a," + _b64(_private(private_key).sign(signed))


def jwk(public_key: str) -> dict[str, str]:
    """The public key as a JWK (RFC 8037): `x` in base64url without padding, and a `kid` that
    names the key itself (the start of its SHA-256), so that it stays the same everywhere."""
    raw = base64.b64decode(public_key.removeprefix(PUBLIC_PREFIX))
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        "kid": hashlib.sha256(raw).hexdigest()[:16],
        "use": "sig",
        "alg": "EdDSA",
    }


# Loading a key costs about as much as signing with it: each hook's keys are loaded once.
@functools.lru_cache(maxsize=4096)
def _private(private_key: str) -> Ed25519PrivateKey:
    seed = base64.b64decode(private_key.removeprefix(PRIVATE_PREFIX))
    return Ed25519PrivateKey.from_private_bytes(seed)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
