"""Ed25519 public keys published as a JWKS (hookline's `GET /api/hooks/:id/jwks`), fetched
with urllib and kept for a while."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable

from hookline_receiver.errors import Reason, VerificationError
from hookline_receiver.keys import ed25519_key

MAX_DOCUMENT_BYTES = 1 << 20


class Jwks:
    """The keys at `url`, fetched at first use and again once `max_age` seconds have passed,
    or sooner through `refresh` when a signature matches none of them (the key was rotated)."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 300.0,
        min_interval: float = 10.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self.min_interval = min_interval
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: tuple[bytes, ...] = ()
        self._fetched_at: float | None = None

    def keys(self) -> tuple[bytes, ...]:
        with self._lock:
            if self._fetched_at is None or self._age() >= self.max_age:
                self._fetch()
            return self._keys

    def refresh(self) -> bool:
        """Fetch again, unless the keys are younger than `min_interval`: forged requests
        must not turn into as many fetches. True if fetched."""
        with self._lock:
            if self._fetched_at is not None and self._age() < self.min_interval:
                return False
            self._fetch()
            return True

    def _age(self) -> float:
        assert self._fetched_at is not None
        return self._clock() - self._fetched_at

    def _fetch(self) -> None:
        request = urllib.request.Request(self.url, headers={"accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                document = json.loads(response.read(MAX_DOCUMENT_BYTES))
            jwks = document["keys"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise VerificationError(Reason.JWKS_UNAVAILABLE, f"{self.url}: {error}") from None
        self._keys = tuple(key for key in map(_ed25519_or_none, jwks) if key is not None)
        self._fetched_at = self._clock()


def _ed25519_or_none(jwk: object) -> bytes | None:
    # A JWKS may hold keys of other kinds, and one bad key must not hide the good ones.
    if not isinstance(jwk, dict):
        return None
    try:
        return ed25519_key(jwk)
    except ValueError:
        return None


_shared: dict[str, Jwks] = {}
_shared_lock = threading.Lock()


def shared(url: str) -> Jwks:
    """One cache per URL for the whole process, for callers that give `verify` a URL."""
    with _shared_lock:
        if url not in _shared:
            _shared[url] = Jwks(url)
        return _shared[url]
