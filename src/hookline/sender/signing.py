"""Both signatures over the exact body bytes: Logto's hex HMAC and Standard Webhooks' v1."""

from __future__ import annotations

import base64
import hashlib
import hmac


def logto_signature(signing_key: str, body: bytes) -> str:
    """`logto-signature-sha-256`: lowercase hex HMAC-SHA256, key = the signing key's UTF-8."""
    return hmac.digest(signing_key.encode(), body, hashlib.sha256).hex()


def standard_secret(signing_key: str) -> str:
    """The `whsec_` secret a Standard Webhooks verifier is given for this signing key."""
    return "whsec_" + base64.b64encode(signing_key.encode()).decode()


def standard_signature(signing_key: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    digest = hmac.digest(signing_key.encode(), signed, hashlib.sha256)
    return "v1," + base64.b64encode(digest).decode()
