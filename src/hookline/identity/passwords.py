"""Password hashes: Argon2id for the passwords hookline sets, any Argon2 variant verified.

Slow by design: call these on a thread of `PasswordGate`, never on the event loop nor
inside a write transaction.
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Argon2id parameters: 19 MiB, two passes, one lane. One lane is one thread, so a hash
# takes a single core, where argon2-cffi's default (64 MiB, four lanes) takes four threads.
# Hashes made with other parameters still verify: an Argon2 hash names its own.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Digests imported through `POST /users` (`passwordDigest` + `passwordAlgorithm`) that
# hookline can verify later: an encoded Argon2 hash names its own variant.
ARGON2_PREFIXES = {"Argon2i": "$argon2i$", "Argon2id": "$argon2id$", "Argon2d": "$argon2d$"}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such user, or a user without a
    password), a hash of the same cost is checked anyway, so that the answer takes as long
    and does not tell whether the user exists."""
    try:
        return _HASHER.verify(password_hash or _decoy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def verify_and_refresh(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """`verify_password`, and when it matched a hash made with other parameters than today's
    (older, or imported), a new hash of the password, so that every sign-in costs the same."""
    matched = verify_password(password_hash, password)
    if matched and password_hash and _HASHER.check_needs_rehash(password_hash):
        return True, hash_password(password)
    return matched, None


def prepare() -> None:
    """Make the decoy ahead of the first sign-in, which would otherwise take twice as long."""
    _decoy_hash()


@functools.cache
def _decoy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(32))


def is_argon2_digest(algorithm: str, digest: str) -> bool:
    prefix = ARGON2_PREFIXES.get(algorithm)
    return prefix is not None and digest.startswith(prefix)
