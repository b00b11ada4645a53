"""Access tokens: RS256 JWTs for the Management API resource."""

from __future__ import annotations

import time

import jwt

from hookline.auth.keys import SigningKey
from hookline.ids import random_id


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, or for another audience."""


def issue(key: SigningKey, issuer: str, client_id: str, audience: str, scope: str, ttl: int) -> str:
    now = int(time.time())
    claims = {
        "jti": random_id(),
        "sub": client_id,
        "iat": now,
        "exp": now + ttl,
        "scope": scope,
        "client_id": client_id,
        "iss": issuer,
        "aud": audience,
    }
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


class Verifier:
    """Checks bearer tokens; remembers the ones it has verified until they expire."""

    def __init__(self, key: SigningKey, audience: str, cache_size: int = 10_000) -> None:
        self._key = key
        self._audience = audience
        self._verified: dict[str, float] = {}
        self._cache_size = cache_size

    def verify(self, token: str) -> None:
        expires = self._verified.get(token)
        if expires is not None:
            if expires > time.time():
                return
            del self._verified[token]
            raise InvalidToken("token expired")
        try:
            claims = jwt.decode(
                token,
                self._key.public,
                algorithms=["RS256"],
                audience=self._audience,
                options={"require": ["exp", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if len(self._verified) >= self._cache_size:
            self._verified.clear()
        self._verified[token] = float(claims["exp"])
