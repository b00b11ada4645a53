"""Is this request from the hook's sender? `verify` answers with the webhook, or raises."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from hookline_receiver import jwks as jwks_cache
from hookline_receiver.ed25519 import ed25519_verifies
from hookline_receiver.errors import Reason, VerificationError
from hookline_receiver.headers import Headers, header
from hookline_receiver.keys import PublicKey, Secret, ed25519_key, hmac_key
from hookline_receiver.signatures import (
    logto_matches,
    signatures_by_version,
    signed_content,
    v1_matches,
)

DEFAULT_TOLERANCE = 300  # seconds either way, as the Standard Webhooks reference verifiers


@dataclass(frozen=True, slots=True)
class Webhook:
    """A verified request. `id` and `timestamp` are signed with the body, and `id` stays the
    same when a delivery is sent again: deduplicate on it. Under Logto's signature alone both
    are None. `subject` and `sequence` (hookline's ordering headers) are not signed: trust
    them as far as the transport (HTTPS)."""

    body: bytes
    id: str | None
    timestamp: int | None
    subject: str | None
    sequence: int | None
    scheme: Literal["v1", "v1a", "logto"]

    def json(self) -> Any:
        return json.loads(self.body)


def verify(
    headers: Headers,
    body: bytes,
    *,
    secrets: Iterable[Secret] = (),
    public_keys: Iterable[PublicKey] = (),
    jwks: str | jwks_cache.Jwks | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
    allow_logto: bool = True,
) -> Webhook:
    """Accept the request if a `v1` signature matches one of `secrets` (`whsec_…` or a hook's
    signing key as Logto shows it), or a `v1a` one matches one of `public_keys` (`whpk_…`, 32
    raw bytes or a JWK) or a key of the JWKS at `jwks` (a URL, fetched and cached). Without
    `webhook-signature`, `logto-signature-sha-256` is checked against `secrets` instead, unless
    `allow_logto` is False: it signs the body alone, so a receiver of hookline, which always
    sends both, closes a way to replay old bodies by refusing it. `body` is the raw bytes
    received. Raises VerificationError, or ValueError for a malformed key."""
    hmac_keys = [hmac_key(secret) for secret in secrets]
    ed25519_keys = [ed25519_key(key) for key in public_keys]
    published = jwks_cache.shared(jwks) if isinstance(jwks, str) else jwks
    if not (hmac_keys or ed25519_keys or published):
        raise ValueError("verify needs secrets, public keys or a JWKS")

    def get(name: str) -> str | None:
        return header(headers, name)

    def verified(
        scheme: Literal["v1", "v1a", "logto"], msg_id: str | None, timestamp: int | None
    ) -> Webhook:
        sequence = get("hookline-sequence")
        return Webhook(
            body=body,
            id=msg_id,
            timestamp=timestamp,
            subject=get("hookline-subject"),
            sequence=int(sequence) if sequence and sequence.isdecimal() else None,
            scheme=scheme,
        )

    signature = get("webhook-signature")
    if signature is None:
        logto = get("logto-signature-sha-256")
        if logto is None:
            raise VerificationError(Reason.MISSING_HEADERS, "no webhook-signature")
        if not allow_logto:
            message = "no webhook-signature (Logto's signature alone is not accepted)"
            raise VerificationError(Reason.MISSING_HEADERS, message)
        if not hmac_keys:
            raise VerificationError(Reason.NO_KEY, "Logto's signature needs a secret")
        if logto_matches(logto, hmac_keys, body):
            return verified("logto", None, None)
        raise VerificationError(Reason.NO_MATCHING_SIGNATURE)

    msg_id, stamp = get("webhook-id"), get("webhook-timestamp")
    if not msg_id or stamp is None:
        raise VerificationError(Reason.MISSING_HEADERS, "webhook-id and webhook-timestamp")
    timestamp = _timestamp(stamp)
    _check_age(timestamp, tolerance, time.time() if now is None else now)

    content = signed_content(msg_id, timestamp, body)
    by_version = signatures_by_version(signature)
    v1, v1a = by_version.get("v1", []), by_version.get("v1a", [])
    check_v1 = bool(v1 and hmac_keys)
    check_v1a = bool(v1a and (ed25519_keys or published))
    if not (check_v1 or check_v1a):
        raise VerificationError(Reason.NO_KEY, f"signed with {sorted(by_version)}")
    if check_v1 and v1_matches(v1, hmac_keys, content):
        return verified("v1", msg_id, timestamp)
    if check_v1a and _ed25519_verified(v1a, ed25519_keys, published, content):
        return verified("v1a", msg_id, timestamp)
    raise VerificationError(Reason.NO_MATCHING_SIGNATURE)


def _timestamp(stamp: str) -> int:
    stamp = stamp.strip()
    if not (stamp.isascii() and stamp.isdecimal()):
        raise VerificationError(Reason.BAD_TIMESTAMP, repr(stamp))
    return int(stamp)


def _check_age(timestamp: int, tolerance: float, now: float) -> None:
    if now - timestamp > tolerance:
        raise VerificationError(Reason.STALE, f"signed {now - timestamp:.0f} s ago")
    if timestamp - now > tolerance:
        raise VerificationError(Reason.FUTURE, f"signed {timestamp - now:.0f} s ahead")


def _ed25519_verified(
    signatures: list[bytes],
    keys: list[bytes],
    published: jwks_cache.Jwks | None,
    content: bytes,
) -> bool:
    def any_verifies(keys: Iterable[bytes]) -> bool:
        return any(ed25519_verifies(k, s, content) for k in keys for s in signatures)

    if any_verifies(keys):
        return True
    if published is None:
        return False
    # A key the cached JWKS lacks may be a new one: fetch again, once.
    if any_verifies(published.keys()):
        return True
    return published.refresh() and any_verifies(published.keys())
