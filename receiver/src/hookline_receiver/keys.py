"""The keys a receiver is given, in the forms people hold them, as the bytes that verify."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

ED25519_KEY_BYTES = 32

# What the caller gives: a secret (`whsec_…` or a raw signing key) or a public key (`whpk_…`,
# 32 raw bytes, or a JWK). A malformed one is the caller's mistake, not the request's, so it
# raises ValueError rather than refusing every request quietly.
Secret = str | bytes
PublicKey = str | bytes | Mapping[str, str]


def hmac_key(secret: Secret) -> bytes:
    """A `whsec_` secret is base64 of the key; any other string is a hook's signing key as
    Logto shows it, whose UTF-8 is the key. hookline's `whsec_` secret is base64 of that UTF-8,
    so both forms give the same key, good for `v1` and Logto's signature alike."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith("whsec_"):
        key = _b64decode(secret.removeprefix("whsec_"), "a whsec_ secret")
    else:
        key = secret.encode()
    if not key:
        raise ValueError("an empty secret verifies nothing")
    return key


def ed25519_key(key: PublicKey) -> bytes:
    """`whpk_` + base64 of the public key (Standard Webhooks), the raw key, or a JWK."""
    if isinstance(key, Mapping):
        raw = jwk_key(key)
        if raw is None:
            raise ValueError(f"not an Ed25519 JWK: {dict(key)!r}")
    elif isinstance(key, bytes):
        raw = key
    elif key.startswith("whpk_"):
        raw = _b64decode(key.removeprefix("whpk_"), "a whpk_ public key")
    else:
        raise ValueError("an Ed25519 public key is written whpk_…")
    if len(raw) != ED25519_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key has {ED25519_KEY_BYTES} bytes, not {len(raw)}")
    return raw


def jwk_key(jwk: Mapping[str, str]) -> bytes | None:
    """The raw key of an Ed25519 JWK (RFC 8037), or None for a key of another kind."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "x" not in jwk:
        return None
    return _b64decode(jwk["x"], "a JWK's x", alphabet=b"-_")


def _b64decode(text: str, what: str, alphabet: bytes = b"+/") -> bytes:
    # Padding is optional: JWKs never have it, and some secrets are written without it.
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, altchars=alphabet, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{what} is not base64: {error}") from None
