"""Password hashes: Argon2id for the passwords hookline sets, any Argon2 variant verified."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # Argon2id, RFC 9106's low-memory profile

# Digests imported through `POST /users` (`passwordDigest` + `passwordAlgorithm`) that
# hookline can verify later: an encoded Argon2 hash names its own variant.
ARGON2_PREFIXES = {"Argon2i": "$argon2i$", "Argon2id": "$argon2id$", "Argon2d": "$argon2d$"}


def hash_password(password: str) -> str:
    """Slow by design (tens of ms): call it before opening a write transaction."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_argon2_digest(algorithm: str, digest: str) -> bool:
    prefix = ARGON2_PREFIXES.get(algorithm)
    return prefix is not None and digest.startswith(prefix)
