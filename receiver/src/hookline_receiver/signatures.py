"""The symmetric signatures: Standard Webhooks' `v1` and Logto's hex HMAC, compared in
constant time; and the parsing of `webhook-signature`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    """What `v1` and `v1a` sign: `id.timestamp.body`, the body's exact bytes."""
    return b"%s.%d.%s" % (msg_id.encode(), timestamp, body)


def signatures_by_version(header: str) -> dict[str, list[bytes]]:
    """`v1,<base64> v1a,<base64> …` as the decoded signatures of each version. An entry that
    does not parse is left out, as the reference verifiers do: it matches nothing."""
    found: dict[str, list[bytes]] = {}
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        try:
            signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if signature:
            found.setdefault(version, []).append(signature)
    return found


def v1_matches(signatures: Iterable[bytes], keys: Iterable[bytes], content: bytes) -> bool:
    expected = [hmac.digest(key, content, hashlib.sha256) for key in keys]
    return any(hmac.compare_digest(e, s) for s in signatures for e in expected)


def logto_matches(header: str, keys: Iterable[bytes], body: bytes) -> bool:
    """`logto-signature-sha-256`: hex HMAC-SHA256 of the body alone."""
    given = header.strip().lower().encode(errors="replace")
    return any(
        hmac.compare_digest(hmac.digest(key, body, hashlib.sha256).hex().encode(), given)
        for key in keys
    )
