"""Access tokens: RS256 JWTs for an API resource, carrying `sub`, `client_id` and `scope`."""

from __future__ import annotations

import time
from typing import Any

import jwt

from hookline.auth.keys import SigningKey
from hookline.ids import random_id


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, or for another audience."""


def issuer(origin: str) -> str:
    """Tokens name the origin that issued them, and are good on that origin only."""
    return origin.rstrip("/") + "/oidc"


def issue(key: SigningKey, issuer: str, client_id: str, audience: str, scope: str, ttl: int) -> str:
    """A token for `client_id` on the resource `audience`; with no scope granted it carries
    none, as Logto's."""
    now = int(time.time())
    claims: dict[str, Any] = {"jti": random_id(), "sub": client_id, "iat": now, "exp": now + ttl}
    if scope:
        claims["scope"] = scope
    claims |= {"client_id": client_id, "iss": issuer, "aud": audience}
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


class Verifier:
    """Checks bearer tokens for one audience; remembers the ones it has verified (with their
    claims) until they expire."""

    def __init__(self, key: SigningKey, audience: str, cache_size: int = 10_000) -> None:
        self._key = key
        self._audience = audience
        self._verified: dict[str, dict[str, Any]] = {}
        self._cache_size = cache_size

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, once its signature, audience and expiry are checked."""
        claims = self._verified.get(token)
        if claims is not None:
            if claims["exp"] > time.time():
                return claims
            del self._verified[token]
            raise InvalidToken("token expired")
        try:
            claims = jwt.decode(
                token,
                self._key.public,
                algorithms=["RS256"],
                audience=self._audience,
                options={"require": ["exp", "aud", "iss", "sub", "client_id"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if len(self._verified) >= self._cache_size:
            self._verified.clear()
        self._verified[token] = claims
        return claims
