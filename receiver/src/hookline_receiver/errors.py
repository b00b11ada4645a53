"""Why a request was refused: one exception, its reason a stable string to act on."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MISSING_HEADERS = "missing_headers"
    """No signature header, or `webhook-signature` without `webhook-id` or `webhook-timestamp`."""
    BAD_TIMESTAMP = "bad_timestamp"
    """`webhook-timestamp` is not a whole number of seconds."""
    STALE = "stale"
    """Signed longer ago than the tolerance: possibly a replay."""
    FUTURE = "future"
    """Signed further ahead than the tolerance: the sender's clock, or a forgery."""
    NO_KEY = "no_key"
    """Signed only in schemes for which no key was given (say `v1a` alone, and no public key)."""
    NO_MATCHING_SIGNATURE = "no_matching_signature"
    """No signature matches any key: another key, or a changed id, timestamp or body."""
    CRYPTOGRAPHY_MISSING = "cryptography_missing"
    """A `v1a` signature is to be checked and `cryptography` is not installed."""
    JWKS_UNAVAILABLE = "jwks_unavailable"
    """The public keys could not be fetched from `jwks_url`; trying later may succeed."""


class VerificationError(Exception):
    """The request is not proven to come from the hook's sender; `reason` says why."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
